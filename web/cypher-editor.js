// The explorer's Cypher box: Neo4j's own editor component (CodeMirror 6 with
// Cypher syntax, completion and linting), bundled by scripts/build_web.sh into
// src/medkg/api/static/vendor/cypher-editor.{js,css}. explorer.js calls
// window.medkgCreateCypherEditor and falls back to the plain textarea without it.
import { createCypherEditor } from "@neo4j-cypher/codemirror";
import "@neo4j-cypher/codemirror/css/cypher-codemirror.css";

window.medkgCreateCypherEditor = (parent, value) => {
  const { editor } = createCypherEditor(parent, {
    value,
    autocomplete: true,
    lineNumbers: false,
    theme: "light",
  });
  return {
    editor,
    getValue: () => editor.codemirror.state.doc.toString(),
    setValue: (text) => editor.setValue(text),
    // { labels, relationshipTypes, propertyKeys, parameters } for completion
    setSchema: (schema) => editor.setSchema(schema),
  };
};
