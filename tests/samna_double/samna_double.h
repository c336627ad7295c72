// The samna double (this directory's Python package) as a C++ test sets it
// up: where Python finds it, its chip, its settings (see samna/_control.py)
// and the log of samna calls it records.
//
//   SamnaDouble double_samna("tutorial");
//   double_samna.Configure(R"({"busy": [9]})");
//   setenv or pass double_samna.Environment() to speckd; then
//   std::vector<std::string> calls = double_samna.Calls();
#ifndef SPECKD_TESTS_SAMNA_DOUBLE_SAMNA_DOUBLE_H_
#define SPECKD_TESTS_SAMNA_DOUBLE_SAMNA_DOUBLE_H_

#include <string>
#include <vector>

namespace speckd::testing {

class SamnaDouble {
 public:
  // Files under TempDir()/`name`.
  explicit SamnaDouble(const std::string& name);

  // Replaces the settings (JSON); "{}" is one Speck2e devkit, samna 0.48.6.
  void Configure(const std::string& settings_json) const;
  // "NAME=value" entries: PYTHONPATH (the double only, unless
  // `with_samna` is false: then Python finds no samna at all), the chip,
  // the settings and the call log.
  std::vector<std::string> Environment(bool with_samna = true) const;
  // The same, set in this process (for a bridge it starts itself).
  void SetEnvironment(bool with_samna = true) const;
  // The samna calls recorded so far, in order: "device.open_device", ...
  std::vector<std::string> Calls() const;
  // The working directory for a bridge (created).
  std::string WorkDir() const;

 private:
  std::string dir_;
};

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_SAMNA_DOUBLE_SAMNA_DOUBLE_H_
