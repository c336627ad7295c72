"""cc_grpc_library for Debian's protoc + grpc_cpp_plugin (no downloads).

Same call shape as upstream gRPC's rule:

    cc_grpc_library(
        name = "speckd_cc_grpc",
        srcs = [":speckd_proto"],
        deps = [":speckd_cc_proto"],
        grpc_only = True,
    )

Restrictions: the proto_library lives in the same package and uses no
import-prefix changes, so the generated headers sit next to cc_proto_library's
(`#include "proto/speckd/v1/device.grpc.pb.h"`).
"""

def _grpc_codegen_impl(ctx):
    proto_info = ctx.attr.proto[ProtoInfo]
    headers = []
    sources = []
    for src in proto_info.direct_sources:
        basename = src.basename[:-len(".proto")]
        headers.append(ctx.actions.declare_file(basename + ".grpc.pb.h"))
        sources.append(ctx.actions.declare_file(basename + ".grpc.pb.cc"))
        if ctx.attr.generate_mocks:
            headers.append(ctx.actions.declare_file(basename + "_mock.grpc.pb.h"))
    outputs = headers + sources

    # Run protoc from the workspace root so generated paths mirror the source tree.
    out_root = ctx.bin_dir.path
    if ctx.label.workspace_root:
        out_root += "/" + ctx.label.workspace_root

    descriptor_sets = proto_info.transitive_descriptor_sets.to_list()
    args = ctx.actions.args()
    args.add("--descriptor_set_in=" + ctx.configuration.host_path_separator.join(
        [d.path for d in descriptor_sets],
    ))
    args.add("--plugin=protoc-gen-grpc=" + ctx.executable._plugin.path)
    grpc_opts = "generate_mock_code=true:" if ctx.attr.generate_mocks else ""
    args.add("--grpc_out=" + grpc_opts + out_root)
    for src in proto_info.direct_sources:
        args.add(_import_path(src, proto_info))

    ctx.actions.run(
        executable = ctx.executable._protoc,
        tools = [ctx.executable._plugin],
        inputs = descriptor_sets,
        outputs = outputs,
        arguments = [args],
        mnemonic = "GrpcCppCodegen",
        progress_message = "Generating gRPC C++ for %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outputs)),
        OutputGroupInfo(headers = depset(headers), sources = depset(sources)),
    ]

def _import_path(src, proto_info):
    root = proto_info.proto_source_root
    path = src.path
    if root and root != "." and path.startswith(root + "/"):
        return path[len(root) + 1:]
    return src.short_path

_grpc_codegen = rule(
    implementation = _grpc_codegen_impl,
    attrs = {
        "proto": attr.label(mandatory = True, providers = [ProtoInfo]),
        "generate_mocks": attr.bool(default = False),
        "_protoc": attr.label(
            default = "@com_google_protobuf//:protoc",
            executable = True,
            cfg = "host",
            allow_single_file = True,
        ),
        "_plugin": attr.label(
            default = "@system_libs//:grpc_cpp_plugin",
            executable = True,
            cfg = "host",
            allow_single_file = True,
        ),
    },
)

def cc_grpc_library(name, srcs, deps, grpc_only = True, generate_mocks = False, visibility = None, **kwargs):
    """A cc_library with the gRPC stubs of one proto_library.

    Args:
      name: target name.
      srcs: exactly one proto_library label.
      deps: the matching cc_proto_library.
      grpc_only: kept for call compatibility with upstream; must be True.
      generate_mocks: also emit <file>_mock.grpc.pb.h.
      visibility: as usual.
      **kwargs: passed to the cc_library.
    """
    if len(srcs) != 1:
        fail("cc_grpc_library takes exactly one proto_library in srcs")
    if not grpc_only:
        fail("only grpc_only = True is supported; use cc_proto_library for messages")
    codegen = name + "_codegen"
    _grpc_codegen(
        name = codegen,
        proto = srcs[0],
        generate_mocks = generate_mocks,
        visibility = ["//visibility:private"],
    )
    native.filegroup(
        name = name + "_hdrs",
        srcs = [":" + codegen],
        output_group = "headers",
        visibility = ["//visibility:private"],
    )
    native.filegroup(
        name = name + "_srcs",
        srcs = [":" + codegen],
        output_group = "sources",
        visibility = ["//visibility:private"],
    )
    native.cc_library(
        name = name,
        hdrs = [":" + name + "_hdrs"],
        srcs = [":" + name + "_srcs"],
        deps = deps + [
            "@system_libs//:grpc++",
            "@com_google_protobuf//:protobuf",
        ],
        visibility = visibility,
        **kwargs
    )
