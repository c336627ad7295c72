// ThreadSanitizer's defaults for every speckd binary built with
// --config=tsan (linked into //driver/util:mutex, which they all use), so a
// plain `bazel test --config=tsan ...` needs no environment.
//
// Debian's gRPC, protobuf and Abseil are not built for TSan, so TSan sees
// neither the locks nor the atomics that order their work:
// - ignore_noninstrumented_modules: the accesses those libraries make through
//   TSan's interceptors (memcpy, free, epoll, ...) are not recorded; speckd's
//   own code, compiled with -fsanitize=thread, is.
// - gRPC's C++ API is header templates compiled into our objects;
//   third_party/toolchains/clang/tsan_ignorelist.txt leaves them
//   uninstrumented, but the standard-library code they instantiate
//   (std::function, std::string, ...) is, and libgrpc orders it. So a report
//   with a grpc:: frame on any of its stacks is suppressed, and one with a
//   grpc_core:: frame: libgrpc's core calling back into speckd code, such as
//   a slice's destroy function freeing a payload on another thread than the
//   one that handed it over. That also hides
//   races in speckd code while it runs inside a gRPC callback: that code is
//   kept thin, and what it calls (devices, writer, graphs, subscriptions) has
//   suites of its own without gRPC, which run with no suppression at all.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)

extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:"
         "ignore_noninstrumented_modules=1";
}

extern "C" const char* __tsan_default_suppressions() {
  return "race:grpc::\n"
         "race:grpc_core::\n"
         "thread:grpc_core::Thread::Thread\n";
}

#endif
#endif
