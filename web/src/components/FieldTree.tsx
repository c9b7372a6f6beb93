import { useMemo, useState } from "react";

import type { FieldList } from "../api";
import { formatTime, formatValue } from "../format";

interface Node {
  name: string;
  path: string;
  children: Map<string, Node>;
  value?: unknown;
  kind?: string;
  isLeaf: boolean;
}

function build(fields: FieldList, search: string): Node {
  const root: Node = { name: "", path: "", children: new Map(), isLeaf: false };
  const needle = search.toLowerCase();
  for (const [path, value] of Object.entries(fields.fields)) {
    if (needle && !path.toLowerCase().includes(needle) && !formatValue(value).toLowerCase().includes(needle)) continue;
    let node = root;
    const parts = path.split("/");
    parts.forEach((part, i) => {
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, path: parts.slice(0, i + 1).join("/"), children: new Map(), isLeaf: false };
        node.children.set(part, child);
      }
      node = child;
    });
    node.isLeaf = true;
    node.value = value;
    node.kind = fields.kinds[path];
  }
  return root;
}

function count(node: Node): number {
  let n = node.isLeaf ? 1 : 0;
  for (const c of node.children.values()) n += count(c);
  return n;
}

function Value({ value, kind }: { value: unknown; kind?: string }) {
  if (kind === "datetime" && typeof value === "string") return <span className="value">{formatTime(value)}</span>;
  const text = formatValue(value);
  return (
    <span className={`value kind-${kind ?? "unknown"}`} title={kind}>
      {text.length > 400 ? `${text.slice(0, 400)}…` : text}
    </span>
  );
}

function Branch({ node, open }: { node: Node; open: boolean }) {
  const children = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <ul className="tree">
      {children.map((child) =>
        child.children.size === 0 ? (
          <li key={child.path} className="leaf" data-path={child.path}>
            <span className="key">{child.name}</span>
            <Value value={child.value} kind={child.kind} />
          </li>
        ) : (
          <li key={child.path}>
            <details open={open}>
              <summary>
                <span className="key">{child.name}</span> <span className="muted">{count(child)}</span>
                {child.isLeaf ? <Value value={child.value} kind={child.kind} /> : null}
              </summary>
              <Branch node={child} open={open} />
            </details>
          </li>
        ),
      )}
    </ul>
  );
}

/** Every field of a run as a tree of namespaces, with a search over paths and values. */
export function FieldTree({ fields }: { fields: FieldList }) {
  const [search, setSearch] = useState("");
  const root = useMemo(() => build(fields, search), [fields, search]);
  return (
    <div className="field-tree" data-testid="field-tree">
      <input type="search" placeholder="Find a field by path or value" aria-label="Find a field" value={search} onChange={(e) => setSearch(e.target.value)} />
      {root.children.size === 0 ? <p className="muted">{search ? "No field matches." : "No fields."}</p> : <Branch key={search ? "s" : "n"} node={root} open={Boolean(search) || count(root) < 40} />}
    </div>
  );
}
