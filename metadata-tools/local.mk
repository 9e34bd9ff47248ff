# metadata-tools/: see HACKING.md
