import DOMPurify from "dompurify";
import { marked } from "marked";
import { useMemo } from "react";

/** Markdown as HTML (GitHub flavour), sanitised: a description cannot run scripts. */
export function Markdown({ text, className = "markdown" }: { text: string; className?: string }) {
  const html = useMemo(() => DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true, breaks: true })), [text]);
  return <div className={className} data-testid="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
