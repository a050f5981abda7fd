"""The agents subgraph: code-generation tasks run by a generator/validator/tester loop."""
