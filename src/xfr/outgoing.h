// Answering AXFR (RFC 5936) and IXFR (RFC 1995) from a published TransferTable:
// TSIG and the zone's ACL decide first; an allowed transfer becomes a
// TransferStream that the TCP connection pulls one message at a time, so that
// a large zone never holds its worker's loop for long.
// Runs on a DNS worker thread (transfer queries only, never ordinary ones).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dns/query.h"
#include "xfr/transfer_data.h"

namespace fodns::xfr {

/// How a transfer request ended, for the metrics.
enum class TransferOutcome : uint8_t {
  Axfr, Ixfr, IxfrFallback, UpToDate, Refused, NotAuth, FormErr, kCount
};
const char* outcome_name(TransferOutcome o);

class TransferStream {
 public:
  /// Writes the next DNS message of the transfer into `out` (replacing it);
  /// false when the transfer is complete.
  bool next(std::vector<uint8_t>& out);
  /// Appends the RRs of `blob` to what the stream sends (the stream keeps its table alive).
  void add(const RrBlob* blob) { segments_.push_back({blob}); }

 private:
  friend struct TransferBuilder;
  struct Segment {
    const RrBlob* blob;
    size_t off = 0;      // next RR
  };
  std::shared_ptr<const TransferTable> table_;   // keeps the blobs alive
  std::vector<uint8_t> header_and_question_;
  std::vector<Segment> segments_;
  size_t seg_ = 0;
  const TsigKey* key_ = nullptr;
  SignState sign_;
  uint64_t now_ = 0;
  bool sent_any_ = false;
};

struct TransferReply {
  std::vector<uint8_t> message;            // a single reply (refusal, up-to-date SOA) or empty
  std::unique_ptr<TransferStream> stream;  // set for a transfer
  TransferOutcome outcome = TransferOutcome::Refused;
  // For the transfer log line (issue 14): who asked with which key, and what we hold.
  std::string key;             // TSIG key named by the request; "" unsigned
  uint32_t serial = 0;         // the zone's serial; 0: not a zone we transfer
  bool has_client_serial = false;
  uint32_t client_serial = 0;  // IXFR: the serial the client has
};

/// `q` was parsed OK and asks AXFR or IXFR. `table` may be null (no zone allows transfers).
TransferReply answer_transfer(const dns::Query& q, const sockaddr* peer, bool tcp,
                              const TransferTablePtr& table, uint64_t now);

}  // namespace fodns::xfr
