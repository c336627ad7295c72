#include "driver/usb/umockdev_testbed.h"

#include <umockdev.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace speckd::driver::usb::testing {
namespace {

constexpr char kWrapper[] = "/usr/bin/umockdev-wrapper";

absl::Status& Availability() {
  static absl::Status* status = new absl::Status(
      absl::FailedPreconditionError("ReexecUnderUmockdev was not called"));
  return *status;
}

}  // namespace

absl::Status ReexecUnderUmockdev(char** argv) {
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload != nullptr && absl::StrContains(preload, "libumockdev-preload")) {
    Availability() = absl::OkStatus();
    return Availability();
  }
  if (access(kWrapper, X_OK) != 0) {
    Availability() = absl::UnavailableError(
        "umockdev is not installed (apt-get install umockdev libumockdev-dev): "
        "the USB tests need its mocked sysfs and usbfs");
    return Availability();
  }
  // ASan wants to be first in the library list; umockdev's preload is.
  setenv("ASAN_OPTIONS",
         absl::StrCat(
             std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "",
             ":verify_asan_link_order=0")
             .c_str(),
         1);
  std::string self = "/proc/self/exe";
  char path[4096];
  ssize_t n = readlink(self.c_str(), path, sizeof(path) - 1);
  if (n > 0) {
    path[n] = '\0';
    self = path;
  }
  int argc = 0;
  while (argv[argc] != nullptr) ++argc;
  char** args = new char*[argc + 2];
  args[0] = const_cast<char*>(kWrapper);
  args[1] = const_cast<char*>(self.c_str());
  for (int i = 1; i <= argc; ++i) args[i + 1] = argv[i];
  execv(kWrapper, args);
  Availability() = absl::InternalError(
      absl::StrCat("cannot run ", kWrapper, ": ", std::strerror(errno)));
  return Availability();
}

const absl::Status& UmockdevAvailable() { return Availability(); }

std::string TestdataPath(const std::string& name) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".",
                      "/speckd/driver/usb/testdata/", name);
}

Testbed::Testbed() : testbed_(umockdev_testbed_new()) {}

Testbed::~Testbed() {
  umockdev_testbed_clear(testbed_);
  g_object_unref(testbed_);
}

absl::Status Testbed::Add(const std::string& name) {
  return AddFile(TestdataPath(name));
}

absl::Status Testbed::AddFile(const std::string& path) {
  GError* error = nullptr;
  if (!umockdev_testbed_add_from_file(testbed_, path.c_str(), &error)) {
    absl::Status status = absl::InvalidArgumentError(
        absl::StrCat(path, ": ", error != nullptr ? error->message : "?"));
    if (error != nullptr) g_error_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::Status Testbed::LoadPcap(const std::string& syspath,
                               const std::string& path) {
  GError* error = nullptr;
  if (!umockdev_testbed_load_pcap(testbed_, syspath.c_str(), path.c_str(),
                                  &error)) {
    absl::Status status = absl::InvalidArgumentError(
        absl::StrCat(path, ": ", error != nullptr ? error->message : "?"));
    if (error != nullptr) g_error_free(error);
    return status;
  }
  return absl::OkStatus();
}

void Testbed::Remove(const std::string& syspath) {
  // umockdev 0.17 sends no "remove" of its own, and cannot once the device
  // is gone: the uevent first (0.18.4 and later send one themselves).
  umockdev_testbed_uevent(testbed_, syspath.c_str(), "remove");
  umockdev_testbed_remove_device(testbed_, syspath.c_str());
}

std::string Testbed::root() const {
  gchar* dir = umockdev_testbed_get_root_dir(testbed_);
  std::string root = dir;
  g_free(dir);
  return root;
}

std::string PlaceholderSyspath(int port) {
  return absl::StrCat("/sys/devices/pci0000:00/0000:00:14.0/usb2/2-", port);
}

}  // namespace speckd::driver::usb::testing
