# docs/: see HACKING.md
