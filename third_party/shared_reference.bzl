"""@speck_reference: the sinabs golden cases of ../shared/reference.

Links the directory's JSON files when it exists. Without it (a user's clone,
outside the project's workspace) the repository is empty, so the rest of the
build still works and the golden-case tests skip, saying what is missing
(tests/run_all.sh says it too).
"""

def _speck_reference_impl(ctx):
    workspace = ctx.path(Label("//:WORKSPACE")).dirname
    source = workspace.dirname.get_child("shared").get_child("reference")
    names = []
    if source.exists:
        for entry in source.readdir():
            if entry.basename.endswith(".json") or entry.basename == "README.md":
                ctx.symlink(entry, entry.basename)
                names.append(entry.basename)
    ctx.file("BUILD.bazel", """filegroup(
    name = "cases",
    srcs = {names},
    visibility = ["//visibility:public"],
)
""".format(names = repr(sorted(names))))
    ctx.file("WORKSPACE", "workspace(name = \"speck_reference\")\n")

speck_reference_repository = repository_rule(
    implementation = _speck_reference_impl,
    # Re-evaluated on every fetch: the directory is outside Bazel's view.
    local = True,
)

def _speck_python_impl(ctx):
    workspace = ctx.path(Label("//:WORKSPACE")).dirname
    source = workspace.dirname.get_child("shared").get_child("third_party").get_child("python")
    if source.exists:
        for entry in source.readdir():
            ctx.symlink(entry, entry.basename)
    ctx.file("BUILD.bazel", """filegroup(
    name = "packages",
    srcs = glob(["**/*"], exclude = ["BUILD.bazel", "WORKSPACE"]),
    visibility = ["//visibility:public"],
)
""")
    ctx.file("WORKSPACE", "workspace(name = \"speck_python\")\n")

# @speck_python: unmodified sinabs, nir and nirtorch from
# ../shared/third_party/python, for the Python client's tests where they are
# not installed (no package index here). Empty without it: the tests then
# use an installed copy, or skip saying so.
speck_python_repository = repository_rule(
    implementation = _speck_python_impl,
    local = True,
)
