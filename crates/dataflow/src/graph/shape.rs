//! The graph's shape without its tasks: who feeds whom. Used for `to_dot`, the single-use
//! cycle check and the names in errors and reports.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use super::builder::BuildError;
use super::wiring::{Consumer, PortShape};
use crate::port::PortId;
use crate::scheduler::NodeId;

/// The shape of a graph.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    nodes: usize,
    names: BTreeMap<u32, Arc<str>>,
    port_names: BTreeMap<u32, Arc<str>>,
    /// Condition branch edges `(condition, target, branch)`.
    branches: Vec<(NodeId, NodeId, u32)>,
    pub(crate) ports: Vec<PortShape>,
    /// Every port's readers, in wiring order.
    consumers: Vec<(PortId, Consumer)>,
    control: Vec<(NodeId, NodeId)>,
}

impl Shape {
    pub(crate) fn new(
        nodes: usize,
        names: BTreeMap<u32, Arc<str>>,
        ports: Vec<PortShape>,
        consumers: Vec<(PortId, Consumer)>,
        control: Vec<(NodeId, NodeId)>,
    ) -> Shape {
        Shape {
            nodes,
            names,
            port_names: BTreeMap::new(),
            branches: Vec::new(),
            ports,
            consumers,
            control,
        }
    }

    /// The readers of `port`, in wiring order.
    fn consumers_of(&self, port: usize) -> impl Iterator<Item = Consumer> + '_ {
        self.consumers
            .iter()
            .filter(move |(p, _)| p.index() == port)
            .map(|&(_, c)| c)
    }

    /// The condition branch edges.
    pub(crate) fn with_branches(mut self, branches: Vec<(NodeId, NodeId, u32)>) -> Shape {
        self.branches = branches;
        self
    }

    /// The ports' names (`GraphBuilder::name_port`).
    pub(crate) fn with_port_names(mut self, names: BTreeMap<u32, Arc<str>>) -> Shape {
        self.port_names = names;
        self
    }

    /// `port #i (name: producer → consumers)`: a port as errors name it.
    pub(crate) fn describe_port(&self, port: u32) -> String {
        let Some(p) = self.ports.get(port as usize) else {
            return format!("port #{port}");
        };
        let from = match p.producer {
            Some(n) => self.describe(n),
            None if p.initial => "a graph input".to_owned(),
            None => "no producer".to_owned(),
        };
        let to: Vec<String> = self
            .consumers_of(port as usize)
            .map(|c| match c {
                Consumer::Node(n) => self.describe(n),
                Consumer::Output => "a graph output".to_owned(),
            })
            .collect();
        let to = if to.is_empty() {
            "no reader".to_owned()
        } else {
            to.join(", ")
        };
        match self.port_names.get(&port) {
            Some(name) => format!("port #{port} ({name}: {from} → {to})"),
            None => format!("port #{port} ({from} → {to})"),
        }
    }

    /// `message` with every `port #i` in it described ([`describe_port`](Self::describe_port)):
    /// run errors name the ports (and their nodes) a task's port error was about.
    pub(crate) fn annotate_ports(&self, message: &str) -> String {
        const TAG: &str = "port #";
        let mut out = String::with_capacity(message.len() + 64);
        let mut rest = message;
        while let Some(at) = rest.find(TAG) {
            let digits = rest[at + TAG.len()..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            out.push_str(&rest[..at]);
            let end = at + TAG.len() + digits;
            match rest[at + TAG.len()..end].parse::<u32>() {
                Ok(p) => out.push_str(&self.describe_port(p)),
                Err(_) => out.push_str(&rest[at..end]),
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    pub(crate) fn name(&self, node: NodeId) -> Option<&Arc<str>> {
        self.names.get(&node.0)
    }

    /// `name (node #i)` or `node #i`.
    pub(crate) fn describe(&self, node: NodeId) -> String {
        match self.name(node) {
            Some(n) => format!("{n} ({node})"),
            None => node.to_string(),
        }
    }

    /// Node-to-node edges (data and control).
    fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId)> + Clone + '_ {
        let data = self.consumers.iter().filter_map(|&(port, c)| {
            match (self.ports[port.index()].producer, c) {
                (Some(from), Consumer::Node(to)) => Some((from, to)),
                _ => None,
            }
        });
        data.chain(self.control.iter().copied())
            .chain(self.branches.iter().map(|&(c, t, _)| (c, t)))
    }

    /// Whether the graph is acyclic (asked only when the builder saw a backward edge: otherwise
    /// node order is a topological order). Kahn's algorithm over a compressed adjacency list;
    /// on failure, walks back from a node that never became ready to find
    /// an actual cycle to report.
    pub(crate) fn check_acyclic(&self) -> Result<(), BuildError> {
        let n = self.nodes;
        let succ = Csr::new(n, self.edges());
        let pred = Csr::new(n, self.edges().map(|(a, b)| (b, a)));
        let mut indeg: Vec<usize> = (0..n).map(|i| pred.of(i).len()).collect();
        let mut ready: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut done = vec![false; n];
        while let Some(i) = ready.pop() {
            done[i] = true;
            for &s in succ.of(i) {
                indeg[s as usize] -= 1;
                if indeg[s as usize] == 0 {
                    ready.push(s as usize);
                }
            }
        }
        let Some(start) = (0..n).find(|&i| !done[i]) else {
            return Ok(());
        };
        // Every unfinished node has an unfinished predecessor: walk back until a repeat.
        let mut seen = vec![usize::MAX; n];
        let mut walk = Vec::new();
        let mut at = start;
        while seen[at] == usize::MAX {
            seen[at] = walk.len();
            walk.push(NodeId::from_index(at));
            at = *pred
                .of(at)
                .iter()
                .find(|&&p| !done[p as usize])
                .expect("an unfinished node has an unfinished predecessor")
                as usize;
        }
        let mut nodes = walk.split_off(seen[at]);
        nodes.reverse();
        let mut path: Vec<String> = nodes.iter().map(|&id| self.describe(id)).collect();
        path.push(self.describe(nodes[0]));
        Err(BuildError::Cycle {
            nodes,
            path: path.join(" -> "),
        })
    }

    /// The graph in Graphviz format: nodes by name, data edges labelled with their port (and
    /// a bounded port's capacity), control edges dashed, graph inputs and outputs as small shapes.
    pub(crate) fn to_dot(&self) -> String {
        let mut s = String::from("digraph dataflow {\n  rankdir=LR;\n");
        for i in 0..self.nodes {
            let label = self
                .names
                .get(&(i as u32))
                .map_or_else(|| format!("#{i}"), |n| n.to_string());
            let _ = writeln!(s, "  n{i} [label=\"{}\"];", escape(&label));
        }
        // Each port's readers, in wiring order (one pass over the flat list).
        let mut by_port: Vec<Vec<Consumer>> = vec![Vec::new(); self.ports.len()];
        for &(p, c) in &self.consumers {
            by_port[p.index()].push(c);
        }
        for (port, p) in self.ports.iter().enumerate() {
            let from = match (p.producer, p.initial) {
                (Some(n), _) => format!("n{}", n.0),
                (None, true) => {
                    let _ = writeln!(s, "  in{port} [shape=point];");
                    format!("in{port}")
                }
                (None, false) => {
                    let _ = writeln!(s, "  none{port} [shape=point, color=red];");
                    format!("none{port}")
                }
            };
            let seeded = p.producer.is_some() && p.initial;
            let mut label = match self.port_names.get(&(port as u32)) {
                Some(name) => escape(&format!("p{port} {name}")),
                None => format!("p{port}"),
            };
            if p.capacity > 0 {
                let k = p.capacity;
                let _ = write!(label, " [bounded {k}]");
            }
            if seeded {
                let _ = writeln!(s, "  init{port} [shape=point];");
            }
            for &c in &by_port[port] {
                match c {
                    Consumer::Node(to) => {
                        let _ = writeln!(s, "  {from} -> n{} [label=\"{label}\"];", to.0);
                        if seeded {
                            let _ = writeln!(s, "  init{port} -> n{} [style=dotted];", to.0);
                        }
                    }
                    Consumer::Output => {
                        let _ = writeln!(s, "  out{port} [shape=doublecircle, label=\"\"];");
                        let _ = writeln!(s, "  {from} -> out{port} [label=\"{label}\"];");
                    }
                }
            }
        }
        for (a, b) in &self.control {
            let _ = writeln!(s, "  n{} -> n{} [style=dashed];", a.0, b.0);
        }
        for (c, t, k) in &self.branches {
            let _ = writeln!(
                s,
                "  n{} -> n{} [style=dashed, arrowhead=diamond, label=\"{k}\"];",
                c.0, t.0
            );
        }
        s.push_str("}\n");
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A compressed adjacency list: the neighbours of node `i` are `to[start[i]..start[i + 1]]`
/// (two allocations for the whole graph).
struct Csr {
    start: Vec<u32>,
    to: Vec<u32>,
}

impl Csr {
    fn new(n: usize, edges: impl Iterator<Item = (NodeId, NodeId)> + Clone) -> Csr {
        let mut start = vec![0u32; n + 1];
        for (a, _) in edges.clone() {
            start[a.index() + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut to = vec![0u32; start[n] as usize];
        for (a, b) in edges {
            to[fill[a.index()] as usize] = b.0;
            fill[a.index()] += 1;
        }
        Csr { start, to }
    }

    fn of(&self, i: usize) -> &[u32] {
        &self.to[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

impl Drop for Shape {
    fn drop(&mut self) {
        super::wiring::recycle_ports(
            std::mem::take(&mut self.ports),
            std::mem::take(&mut self.consumers),
        );
    }
}
