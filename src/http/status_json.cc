#include "http/status_json.h"

#include "common/json_escape.h"

#include <fmt/format.h>

#include <iterator>

namespace fodns::http {

namespace {

void str_or_null(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "null";
    return;
  }
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}

void str(std::string& out, std::string_view s) {
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}

void int_or_null(std::string& out, int64_t v) {
  if (v == 0) {
    out += "null";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

}  // namespace

std::string render_status_json(const status::StatusData& st) {
  std::string out;
  out.reserve(64 + st.backends.size() * 320 + st.zones.size() * 64);
  out += "{\"backends\":[";
  for (size_t i = 0; i < st.backends.size(); ++i) {
    const auto& b = st.backends[i];
    if (i) out += ',';
    out += "{\"name\":";
    str(out, b.name);
    out += ",\"address\":";
    str(out, b.address);
    fmt::format_to(std::back_inserter(out), ",\"port\":{},\"probe\":", b.port);
    str(out, b.probe);
    out += ",\"transport\":";
    str(out, b.transport);
    out += ",\"state\":";
    str_or_null(out, b.drained ? std::string_view("drained") : std::string_view(b.state));
    // As the CLI: a backend never probed has no "since".
    out += ",\"since_ms\":";
    int_or_null(out, b.state == "unknown" && b.last_check_ms == 0 && !b.drained ? 0 : b.since_ms);
    out += ",\"last_check_ms\":";
    int_or_null(out, b.last_check_ms);
    out += ",\"last_rtt_ms\":";
    if (b.last_rtt_us < 0) {
      out += "null";
    } else {
      fmt::format_to(std::back_inserter(out), "{:.3f}", static_cast<double>(b.last_rtt_us) / 1000);
    }
    out += ",\"last_result\":";
    str_or_null(out, b.last_result);
    out += ",\"last_error\":";
    // As the CLI: an error only next to the failing result it explains.
    str_or_null(out, b.last_result == "ok" ? std::string_view() : std::string_view(b.last_error));
    fmt::format_to(std::back_inserter(out), ",\"successes\":{},\"failures\":{},\"drained\":{}",
                   b.successes, b.failures, b.drained ? "true" : "false");
    out += ",\"drain_reason\":";
    str_or_null(out, b.drain_reason);
    out += '}';
  }
  out += "],\"zones\":[";
  for (size_t i = 0; i < st.zones.size(); ++i) {
    const auto& z = st.zones[i];
    if (i) out += ',';
    out += "{\"name\":\"";
    append_json_escaped(out, z.name);
    fmt::format_to(std::back_inserter(out), "\",\"serial\":{},\"records\":{}}}", z.serial,
                   z.records_stored);
  }
  // Not in the stored state the CLI reads: what this server sees right now.
  out += "],\"degraded\":";
  str_or_null(out, st.degraded_reason);
  // This server probes unless it runs with --no-probes (then no round ever starts).
  out += ",\"probing\":";
  out += st.backends.empty() ? "null" : st.probe_rounds > 0 ? "true" : "false";
  out += "}\n";
  return out;
}

}  // namespace fodns::http
