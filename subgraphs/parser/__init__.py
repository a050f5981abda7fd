"""Parser subgraph: tree-sitter parsing, symbols, metrics and security findings."""
