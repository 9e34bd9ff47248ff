# docs/: man pages and references.
EXTRA_DIST += docs/vgrescue.8
dist_man_MANS = docs/vgrescue.8
