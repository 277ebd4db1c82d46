//! The graph's shape without its tasks: who feeds whom. Used for `to_dot`, the single-use
//! cycle check and the names in errors and reports.

use std::fmt::Write;
use std::sync::Arc;

use super::builder::BuildError;
use super::wiring::{Consumer, Wiring};
use crate::port::PortId;
use crate::scheduler::NodeId;

/// One port and its ends.
#[derive(Clone, Debug)]
struct PortShape {
    id: PortId,
    producer: Option<NodeId>,
    consumers: Vec<Consumer>,
    initial: bool,
}

/// The shape of a graph.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    names: Vec<Option<Arc<str>>>,
    ports: Vec<PortShape>,
    control: Vec<(NodeId, NodeId)>,
}

impl Shape {
    pub(crate) fn new(
        wiring: &Wiring,
        control: &[(NodeId, NodeId)],
        names: &[Option<Arc<str>>],
    ) -> Shape {
        Shape {
            names: names.to_vec(),
            ports: wiring
                .ports
                .iter()
                .enumerate()
                .map(|(i, p)| PortShape {
                    id: PortId(i as u32),
                    producer: p.producer,
                    consumers: p.consumers.clone(),
                    initial: p.initial,
                })
                .collect(),
            control: control.to_vec(),
        }
    }

    pub(crate) fn name(&self, node: NodeId) -> Option<&Arc<str>> {
        self.names.get(node.index()).and_then(Option::as_ref)
    }

    /// `name (node #i)` or `node #i`.
    pub(crate) fn describe(&self, node: NodeId) -> String {
        match self.name(node) {
            Some(n) => format!("{n} ({node})"),
            None => node.to_string(),
        }
    }

    /// Node-to-node edges (data and control).
    fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        let data = self.ports.iter().flat_map(|p| {
            p.producer.into_iter().flat_map(move |from| {
                p.consumers.iter().filter_map(move |c| match c {
                    Consumer::Node(to) => Some((from, *to)),
                    Consumer::Output => None,
                })
            })
        });
        data.chain(self.control.iter().copied())
    }

    /// Kahn's algorithm; on failure, walks back from a node that never became ready to find
    /// an actual cycle to report.
    pub(crate) fn check_acyclic(&self) -> Result<(), BuildError> {
        let n = self.names.len();
        let mut indeg = vec![0usize; n];
        let mut succ: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        let mut pred: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        for (a, b) in self.edges() {
            indeg[b.index()] += 1;
            succ[a.index()].push(b);
            pred[b.index()].push(a);
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut done = vec![false; n];
        while let Some(i) = ready.pop() {
            done[i] = true;
            for s in &succ[i] {
                indeg[s.index()] -= 1;
                if indeg[s.index()] == 0 {
                    ready.push(s.index());
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
            at = pred[at]
                .iter()
                .find(|p| !done[p.index()])
                .expect("an unfinished node has an unfinished predecessor")
                .index();
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

    /// The graph in Graphviz format: nodes by name, data edges labelled with their port,
    /// control edges dashed, graph inputs and outputs as small shapes.
    pub(crate) fn to_dot(&self) -> String {
        let mut s = String::from("digraph dataflow {\n  rankdir=LR;\n");
        for (i, name) in self.names.iter().enumerate() {
            let label = name
                .as_deref()
                .map_or_else(|| format!("#{i}"), str::to_owned);
            let _ = writeln!(s, "  n{i} [label=\"{}\"];", escape(&label));
        }
        for p in &self.ports {
            let port = p.id.0;
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
            if seeded {
                let _ = writeln!(s, "  init{port} [shape=point];");
            }
            for c in &p.consumers {
                match c {
                    Consumer::Node(to) => {
                        let _ = writeln!(s, "  {from} -> n{} [label=\"p{port}\"];", to.0);
                        if seeded {
                            let _ = writeln!(s, "  init{port} -> n{} [style=dotted];", to.0);
                        }
                    }
                    Consumer::Output => {
                        let _ = writeln!(s, "  out{port} [shape=doublecircle, label=\"\"];");
                        let _ = writeln!(s, "  {from} -> out{port} [label=\"p{port}\"];");
                    }
                }
            }
        }
        for (a, b) in &self.control {
            let _ = writeln!(s, "  n{} -> n{} [style=dashed];", a.0, b.0);
        }
        s.push_str("}\n");
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
