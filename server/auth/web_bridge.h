// The web port's calls for browsers arrive on the daemon's in-process
// channel, where gRPC knows nothing of the browser (its peer is "unknown",
// without TLS). The web port says who the browser is in metadata: its
// address, and the names of a client certificate its TLS handshake
// verified. The authorizer and the audit log believe this only on a call
// that also carries this process's bridge secret (random per process, never
// sent off the machine), so a remote gRPC client cannot claim a certificate
// by sending the same keys.
//
//   AddWebBridgeMetadata(&client_context, "ipv4:192.0.2.7:51234", {"alice"});
//   WebBridgeValues(server_context->client_metadata(), kWebPeerKey);
#ifndef SPECKD_SERVER_AUTH_WEB_BRIDGE_H_
#define SPECKD_SERVER_AUTH_WEB_BRIDGE_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <vector>

namespace speckd::server::auth {

inline constexpr char kWebBridgeSecretKey[] = "speckd-web-bridge";
inline constexpr char kWebPeerKey[] = "speckd-web-peer";
inline constexpr char kWebCertificateKey[] = "speckd-web-client-certificate";

// Adds the secret, the browser's address (gRPC's peer form, e.g.
// "ipv4:192.0.2.7:51234") and the verified certificate names to a call the
// web port is about to make.
void AddWebBridgeMetadata(grpc::ClientContext* context,
                          const std::string& browser_peer,
                          const std::vector<std::string>& certificate_names);

// The values under `key` when `metadata` carries this process's secret;
// none otherwise.
std::vector<std::string> WebBridgeValues(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    const char* key);

}  // namespace speckd::server::auth

#endif  // SPECKD_SERVER_AUTH_WEB_BRIDGE_H_
