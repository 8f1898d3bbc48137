"""Outside the runtime path: the workflow simulator, scenario runner and benchmarks. Nothing
in the engine, the sweep or the web app imports from here."""
