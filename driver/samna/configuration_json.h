// A configuration as the bridge assigns it to samna: speckd's JSON (samna's
// field names) with every field spelled out, defaults included, so that
// nothing is left to samna's defaults by omission.
#ifndef SPECKD_DRIVER_SAMNA_CONFIGURATION_JSON_H_
#define SPECKD_DRIVER_SAMNA_CONFIGURATION_JSON_H_

#include <string>

#include "driver/chip/config.h"

namespace speckd::driver::samna {

std::string ConfigurationJsonForSamna(const chip::SpeckConfig& config);

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_CONFIGURATION_JSON_H_
