// speckd's version, as the daemon reports it (logs, recordings' headers).
#ifndef SPECKD_SERVER_VERSION_H_
#define SPECKD_SERVER_VERSION_H_

namespace speckd {

inline constexpr char kSpeckdVersion[] = "0.2.0";

}  // namespace speckd

#endif  // SPECKD_SERVER_VERSION_H_
