"""speckd_fuzz_test: one libFuzzer target, two ways.

  bazel test //tests/fuzz:NAME                 runs the target over its seed
                                               corpus (a regression test, any
                                               compiler)
  bazel build --config=fuzz //tests/fuzz:NAME  links it with libFuzzer (clang,
                                               ASan + UBSan) for fuzzing:
                                               tests/fuzz/run_fuzzers.sh
"""

def speckd_fuzz_test(name, srcs, deps, corpus, dict = None):
    data = [corpus] + ([dict] if dict else [])
    native.cc_test(
        name = name,
        size = "small",
        srcs = srcs,
        args = ["$(locations %s)" % corpus],
        data = data,
        linkopts = select({
            "//tests/fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = deps + select({
            "//tests/fuzz:fuzzing": [],
            "//conditions:default": ["//tests/fuzz:corpus_main"],
        }),
    )
