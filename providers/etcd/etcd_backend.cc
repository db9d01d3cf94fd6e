// The etcd state backend: settings, load (snapshot chunks + journal at one revision), fenced
// writes (see etcd_backend.h). The lock lives in etcd_backend_lock.cc.
#include "providers/etcd/etcd_backend.h"

#include <charconv>
#include <set>

#include <fmt/format.h>

#include "compiler/duration.h"
#include "planner/state_json.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/etcd/lease_keeper.h"
#include "providers/etcd/state_blob.h"

namespace orch::etcd {

using nlohmann::json;

namespace {

constexpr int kFormat = 1;
constexpr int64_t kChunksPerRead = 4;     // chunks per range request (about 4 MiB)
constexpr int64_t kEntriesPerRead = 512;  // journal entries per range request
constexpr size_t kCompressEntryOver = 16 * 1024;

BackendError error_of(BackendError::Kind kind, std::string message) {
  return BackendError{kind, std::move(message), std::nullopt};
}

std::string seq_name(int64_t seq) {
  return fmt::format("{:020}", seq);
}

// A journal entry's stored form: the JSON text, or "z<size>\n" + zlib of it when large.
std::string encode_entry(const json& entry, int level) {
  std::string text = entry.dump();
  if (text.size() <= kCompressEntryOver) return text;
  return fmt::format("z{}\n", text.size()) + zlib_compress(text, level);
}

bool decode_entry(std::string_view value, json& out, std::string* error) {
  std::string text;
  if (!value.empty() && value[0] == 'z') {
    size_t nl = value.find('\n');
    size_t size = 0;
    if (nl == std::string_view::npos ||
        std::from_chars(value.data() + 1, value.data() + nl, size).ec != std::errc()) {
      *error = "bad compressed-entry header";
      return false;
    }
    if (!zlib_decompress(value.substr(nl + 1), size, text, error)) return false;
    value = text;
  }
  out = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!out.is_object()) {
    *error = "not a journal entry (JSON object expected)";
    return false;
  }
  return true;
}

}  // namespace

// The snapshot manifest stored at PREFIX/head (and PREFIX/backup).
struct EtcdBackend::Manifest {
  std::string lineage;
  uint64_t serial = 0;
  std::string orch_version;
  std::string generation;
  uint64_t size = 0;    // uncompressed state JSON
  uint64_t stored = 0;  // compressed bytes over all chunks
  std::string sha256;   // of the uncompressed state JSON
  std::vector<std::string> chunk_sha256;
  std::string written;  // RFC 3339
  std::string by;       // user@host

  json to_json() const {
    return {{"format", kFormat},
            {"lineage", lineage},
            {"serial", serial},
            {"orch_version", orch_version},
            {"generation", generation},
            {"encoding", "zlib"},
            {"size", size},
            {"stored", stored},
            {"sha256", sha256},
            {"chunks", chunk_sha256.size()},
            {"chunk_sha256", chunk_sha256},
            {"written", written},
            {"by", by}};
  }
  static std::optional<Manifest> parse(std::string_view text, std::string* error) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    auto bad = [&](const std::string& why) -> std::optional<Manifest> {
      *error = why;
      return std::nullopt;
    };
    if (!j.is_object()) return bad("not JSON");
    if (j.value("format", 0) != kFormat)
      return bad(
          fmt::format("unknown format {} (this orch reads format {}; a newer orch wrote it?)",
                      j.value("format", json()).dump(), kFormat));
    Manifest m;
    try {
      m.lineage = j.at("lineage").get<std::string>();
      m.serial = j.at("serial").get<uint64_t>();
      m.orch_version = j.value("orch_version", "");
      m.generation = j.at("generation").get<std::string>();
      if (j.at("encoding").get<std::string>() != "zlib") return bad("unknown encoding");
      m.size = j.at("size").get<uint64_t>();
      m.stored = j.at("stored").get<uint64_t>();
      m.sha256 = j.at("sha256").get<std::string>();
      m.chunk_sha256 = j.at("chunk_sha256").get<std::vector<std::string>>();
      m.written = j.value("written", "");
      m.by = j.value("by", "");
    } catch (const json::exception& e) {
      return bad(std::string("missing or mistyped field: ") + e.what());
    }
    if (m.chunk_sha256.empty() || m.generation.empty() ||
        m.generation.find('/') != std::string::npos)
      return bad("no chunks or a bad generation");
    return m;
  }
};

// --- settings -----------------------------------------------------------------------------------

bool parse_backend_settings(const ValueMap& settings, BackendOptions& out, std::string* error) {
  auto fail = [&](std::string m) {
    if (error) *error = "backend \"etcd\": " + m;
    return false;
  };
  std::set<std::string> used;
  std::string e;
  if (!parse_client_settings(settings, out.client, used, &e)) return fail(e);
  used.insert({"prefix", "lock_ttl", "chunk_size"});
  for (const auto& [name, v] : settings) {
    if (!used.count(name)) {
      std::string known;
      for (const auto& u : used) known += (known.empty() ? "" : ", ") + u;
      return fail(fmt::format("no setting `{}` (it takes {})", name, known));
    }
  }
  auto prefix = string_setting(settings, "prefix", &e);
  if (!e.empty()) return fail(e);
  if (!prefix || prefix->empty() || (*prefix)[0] != '/')
    return fail(
        "`prefix` is required: the etcd key prefix this configuration's state lives "
        "under, starting with \"/\" (e.g. prefix = \"/orch/prod\")");
  out.prefix = *prefix;
  while (out.prefix.size() > 1 && out.prefix.back() == '/') out.prefix.pop_back();
  if (auto ttl = duration_setting(settings, "lock_ttl", &e)) out.lock_ttl = *ttl;
  if (!e.empty()) return fail(e);
  if (out.lock_ttl < std::chrono::seconds(2))
    return fail("`lock_ttl` must be at least \"2s\" (etcd's shortest lease)");
  if (out.lock_ttl % std::chrono::seconds(1) != Duration(0))
    return fail("`lock_ttl` must be whole seconds (etcd leases count seconds)");
  if (auto it = settings.find("chunk_size"); it != settings.end() && !it->second.is_null()) {
    Value v = it->second.unmarked();
    int64_t n = 0;
    if (v.kind() == ValueKind::Number && v.as_number().is_int) {
      n = v.as_number().i;
    } else if (v.kind() == ValueKind::String) {
      auto [p, ec] =
          std::from_chars(v.as_string().data(), v.as_string().data() + v.as_string().size(), n);
      if (ec != std::errc() || p != v.as_string().data() + v.as_string().size()) n = 0;
    }
    if (n < 1024 || n > 1400 * 1024)
      return fail(
          "`chunk_size` must be a number of bytes from 1024 to 1433600 (etcd refuses "
          "requests over 1.5 MiB)");
    out.chunk_size = static_cast<size_t>(n);
  }
  return true;
}

std::unique_ptr<Backend> open_etcd_backend(const BackendConfig& config, std::string* error) {
  BackendOptions options;
  if (!parse_backend_settings(config.settings, options, error)) return nullptr;
  return std::make_unique<EtcdBackend>(std::move(options));
}

// --- the backend --------------------------------------------------------------------------------

EtcdBackend::EtcdBackend(BackendOptions options)
    : options_(std::move(options)), client_(options_.client) {}

EtcdBackend::~EtcdBackend() {
  if (!pending_.empty()) (void)flush();  // records are facts about the world: keep them
  if (lease_ != 0) (void)unlock(lock_id_);
  keeper_.reset();  // its thread may call back into this object: stop it first
}

std::string EtcdBackend::describe() const {
  std::string eps;
  for (const auto& e : options_.client.endpoints) eps += (eps.empty() ? "" : ", ") + e;
  return fmt::format("etcd state \"{}\" at {}", options_.prefix, eps);
}

std::optional<std::string> EtcdBackend::lock_lost() const {
  std::lock_guard<std::mutex> lock(lost_mu_);
  return lost_;
}

BackendError EtcdBackend::from_client(const Error& e, const std::string& what) const {
  std::string m = what + ": " + e.message;
  if (e.code == 3 && e.etcd_message.find("too large") != std::string::npos) {
    m = fmt::format(
        "{}: etcd refused the request as too large ({}). State is written in chunks "
        "of chunk_size = {} bytes; set a smaller chunk_size (the server's "
        "--max-request-bytes is lower than etcd's default 1.5 MiB).",
        what, e.etcd_message, options_.chunk_size);
  } else if (e.etcd_message.find("database space exceeded") != std::string::npos) {
    m = fmt::format(
        "{}: etcd is out of space ({}): it reached its --quota-backend-bytes and "
        "accepts no writes until an operator compacts and defragments it and clears "
        "the alarm (`etcdctl alarm disarm`).",
        what, e.etcd_message);
  }
  return error_of(BackendError::Kind::Io, m);
}

std::vector<json> EtcdBackend::fence() const {
  std::vector<json> c = {compare_mod_revision(key("head"), head_rev_)};
  if (lease_ != 0) c.push_back(compare_create_revision(lock_key_, lock_rev_));
  return c;
}

BackendStatus EtcdBackend::fenced_txn(std::vector<json> extra_compares, std::vector<json> success,
                                      const std::string& what, int64_t* revision,
                                      const std::function<bool()>& landed) {
  if (auto why = lock_lost()) {
    return error_of(BackendError::Kind::Conflict,
                    fmt::format("{}: the state lock was lost ({}); refusing to write, another "
                                "orch may hold the lock now",
                                what, *why));
  }
  std::vector<json> compares = fence();
  for (auto& c : extra_compares) compares.push_back(std::move(c));
  std::vector<json> failure = {op_range(key("head"))};
  if (lease_ != 0) failure.push_back(op_range(lock_key_));
  Result r = client_.call("/v3/kv/txn", txn_request(compares, success, failure));
  if (!r.ok()) return from_client(*r.error, what);
  TxnResponse t = parse_txn(r.body);
  if (t.succeeded) {
    if (revision) *revision = t.revision;
    return std::nullopt;
  }
  // An earlier attempt that timed out may have done the write: then the compare fails on our own
  // change. Only `landed` can tell (it reads back what we meant to write).
  if (r.maybe_applied_before && landed && landed()) {
    if (revision) *revision = 0;  // unknown: the caller re-reads what it needs
    return std::nullopt;
  }
  std::vector<KeyValue> head, lock;
  std::string e;
  if (!t.responses.empty()) (void)parse_kvs(t.responses[0], head, &e);
  if (t.responses.size() > 1) (void)parse_kvs(t.responses[1], lock, &e);
  if (lease_ != 0 && (lock.empty() || lock[0].create_revision != lock_rev_)) {
    return error_of(BackendError::Kind::Conflict,
                    fmt::format("{}: this orch no longer holds the state lock (its lease {:x} "
                                "expired or the lock was force-unlocked); refusing to write",
                                what, lease_));
  }
  int64_t now_rev = head.empty() ? 0 : head[0].mod_revision;
  if (now_rev != head_rev_) {
    std::string who;
    std::string me;
    if (!head.empty()) {
      auto m = Manifest::parse(head[0].value, &me);
      if (m)
        who = fmt::format(" (it is now serial {}, written by {} at {})", m->serial, m->by,
                          m->written);
    }
    return error_of(BackendError::Kind::Conflict,
                    fmt::format("{}: the state in etcd changed since it was loaded{}; another "
                                "orch wrote it (without the lock?); not overwriting it",
                                what, who));
  }
  return error_of(BackendError::Kind::Conflict,
                  fmt::format("{}: a key orch was about to create exists already (another orch "
                              "writing without the lock?)",
                              what));
}

BackendStatus EtcdBackend::load(LoadedState& out) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    bool retry = false;
    auto status = load_once(out, retry);
    if (!retry) return status;  // a compaction raced the read: read again at a newer revision
  }
  return error_of(BackendError::Kind::Io,
                  fmt::format("cannot read state from {}: etcd kept compacting the revision "
                              "being read; try again",
                              describe()));
}

BackendStatus EtcdBackend::load_once(LoadedState& out, bool& retry) {
  out = LoadedState{};
  loaded_ = false;
  corrupt_ = false;
  pending_.clear();
  const std::string what = "cannot read state from " + describe();
  // head and backup at one revision; everything else is read at that revision too.
  Result r =
      client_.call("/v3/kv/txn", txn_request({}, {op_range(key("head")), op_range(key("backup"))}));
  if (!r.ok()) return from_client(*r.error, what);
  TxnResponse t = parse_txn(r.body);
  std::vector<KeyValue> head, backup;
  std::string e;
  if (t.responses.size() != 2 || !parse_kvs(t.responses[0], head, &e) ||
      !parse_kvs(t.responses[1], backup, &e))
    return error_of(BackendError::Kind::Io, what + ": unexpected answer from etcd " + e);
  const int64_t rev = t.revision;

  backup_generation_.clear();
  backup_serial_ = 0;
  if (!backup.empty()) {
    if (auto bm = Manifest::parse(backup[0].value, &e)) {
      backup_generation_ = bm->generation;
      backup_serial_ = bm->serial;
    }
  }
  State state;
  std::optional<Manifest> manifest;
  if (!head.empty()) {
    manifest = Manifest::parse(head[0].value, &e);
    if (!manifest) {
      corrupt_ = true;
      return error_of(
          BackendError::Kind::Corrupt,
          fmt::format("{}: \"{}\" is not a state manifest: {}. orch will not overwrite it.{}", what,
                      key("head"), e,
                      backup_serial_ == 0
                          ? std::string()
                          : fmt::format(" The previous snapshot (serial {0}) is kept under "
                                        "\"{1}\"; to go back to it: etcdctl put {2} \"$(etcdctl "
                                        "get --print-value-only {1})\"",
                                        backup_serial_, key("backup"), key("head"))));
    }
    if (auto s = read_snapshot(*manifest, rev, key("head"), state, retry)) return s;
    if (retry) return std::nullopt;
    out.existed = true;
  } else {
    state = State::fresh();
  }
  lineage_ = state.lineage;
  serial_ = state.serial;
  head_rev_ = head.empty() ? 0 : head[0].mod_revision;
  head_value_ = head.empty() ? std::string() : head[0].value;
  generation_ = manifest ? manifest->generation : std::string();

  if (auto s = read_journal(rev, state, out, !head.empty(), retry)) return s;
  if (retry) return std::nullopt;
  lineage_ = state.lineage;
  loaded_ = true;

  // Fold only under our lock: without it, a running apply may still be appending.
  if (lease_ != 0 && out.journal_records > 0) {
    if (auto s = write_snapshot(state)) return s;
    out.folded = true;
  }
  out.state = std::move(state);
  return std::nullopt;
}

BackendStatus EtcdBackend::read_snapshot(const Manifest& m, int64_t revision,
                                         std::string_view head_key, State& state, bool& retry) {
  const std::string dir = key("snapshot/" + m.generation + "/");
  auto corrupt = [&](const std::string& why) {
    corrupt_ = true;
    std::string restore =
        backup_serial_ == 0
            ? std::string(" There is no previous snapshot to go back to.")
            : fmt::format(
                  " The previous snapshot (serial {2}) is kept under \"{0}\"; to go back "
                  "to it: etcdctl put {1} \"$(etcdctl get --print-value-only {0})\"",
                  key("backup"), head_key, backup_serial_);
    return error_of(BackendError::Kind::Corrupt,
                    fmt::format("the state snapshot in {} (serial {}, written by {} at {}) is "
                                "corrupt: {}. orch will not overwrite it.{}",
                                describe(), m.serial, m.by.empty() ? "?" : m.by,
                                m.written.empty() ? "?" : m.written, why, restore));
  };
  std::string stored;
  stored.reserve(m.stored);
  std::string from = dir;
  const std::string end = prefix_end(dir);
  size_t index = 0;
  for (;;) {
    RangeOptions ro;
    ro.range_end = end;
    ro.limit = kChunksPerRead;
    ro.revision = revision;
    Result r = client_.call("/v3/kv/range", range_request(from, ro));
    if (!r.ok()) {
      if (r.error->code == 11) {  // compacted: read everything again at a newer revision
        retry = true;
        return std::nullopt;
      }
      return from_client(*r.error, "cannot read the state snapshot from " + describe());
    }
    std::vector<KeyValue> kvs;
    std::string e;
    if (!parse_kvs(r.body, kvs, &e)) return corrupt(e);
    for (const auto& kv : kvs) {
      std::string expected = dir + fmt::format("{:06}", index);
      if (kv.key != expected) {
        return corrupt(index < m.chunk_sha256.size()
                           ? fmt::format("chunk \"{}\" is missing", expected)
                           : fmt::format("unexpected key \"{}\"", kv.key));
      }
      if (sha256_hex(kv.value) != m.chunk_sha256[index])
        return corrupt(fmt::format("chunk \"{}\" does not match its checksum", kv.key));
      stored += kv.value;
      ++index;
    }
    if (!bool_field(r.body, "more") || kvs.empty()) break;
    from = kvs.back().key + std::string(1, '\0');
  }
  if (index != m.chunk_sha256.size())
    return corrupt(fmt::format("chunk \"{}{:06}\" is missing ({} of {} chunks found)", dir, index,
                               index, m.chunk_sha256.size()));
  if (stored.size() != m.stored)
    return corrupt(fmt::format("{} bytes stored, the manifest says {}", stored.size(), m.stored));
  std::string text, e;
  if (!zlib_decompress(stored, m.size, text, &e)) return corrupt(e);
  if (sha256_hex(text) != m.sha256) return corrupt("the state does not match its checksum");
  if (!state_from_json_text(text, dir, state, &e)) return corrupt(e);
  if (state.lineage != m.lineage || state.serial != m.serial)
    return corrupt("the state's lineage or serial differs from its manifest");
  return std::nullopt;
}

BackendStatus EtcdBackend::read_parts(const std::string& seq, const json& manifest,
                                      int64_t revision, std::string& out, bool& retry) {
  const std::string dir = key("parts/" + seq + "/");
  RangeOptions ro;
  ro.range_end = prefix_end(dir);
  ro.revision = revision;
  Result r = client_.call("/v3/kv/range", range_request(dir, ro));
  if (!r.ok()) {
    if (r.error->code == 11) retry = true;
    return retry ? std::nullopt
                 : std::optional(from_client(*r.error, "cannot read the state journal"));
  }
  std::vector<KeyValue> kvs;
  std::string e;
  if (!parse_kvs(r.body, kvs, &e)) return error_of(BackendError::Kind::Corrupt, e);
  out.clear();
  for (const auto& kv : kvs) out += kv.value;
  if (kvs.size() != manifest.value("parts", size_t(0)) ||
      sha256_hex(out) != manifest.value("sha256", std::string()))
    return error_of(BackendError::Kind::Corrupt,
                    fmt::format("journal entry {} in {}: its parts under \"{}\" are missing or "
                                "corrupt",
                                seq, describe(), dir));
  return std::nullopt;
}

BackendStatus EtcdBackend::read_journal(int64_t revision, State& state, LoadedState& out,
                                        bool head_exists, bool& retry) {
  const std::string dir = key("journal/");
  const std::string end = prefix_end(dir);
  std::string from = dir;
  next_seq_ = 1;
  auto corrupt = [&](const std::string& k, const std::string& why) {
    corrupt_ = true;
    return error_of(BackendError::Kind::Corrupt,
                    fmt::format("the state journal in {} is corrupt at \"{}\": {}. orch will not "
                                "change the state until it is repaired.",
                                describe(), k, why));
  };
  for (;;) {
    RangeOptions ro;
    ro.range_end = end;
    ro.limit = kEntriesPerRead;
    ro.revision = revision;
    Result r = client_.call("/v3/kv/range", range_request(from, ro));
    if (!r.ok()) {
      if (r.error->code == 11) {
        retry = true;
        return std::nullopt;
      }
      return from_client(*r.error, "cannot read the state journal from " + describe());
    }
    std::vector<KeyValue> kvs;
    std::string e;
    if (!parse_kvs(r.body, kvs, &e)) return corrupt(dir, e);
    for (const auto& kv : kvs) {
      std::string seq = kv.key.substr(dir.size());
      int64_t n = 0;
      if (seq.size() != 20 ||
          std::from_chars(seq.data(), seq.data() + seq.size(), n).ec != std::errc())
        return corrupt(kv.key, "not a journal entry name");
      std::string value = kv.value;
      if (!value.empty() && value[0] == 'p') {
        json pm = json::parse(value.substr(1), nullptr, false);
        if (!pm.is_object()) return corrupt(kv.key, "bad parts manifest");
        if (auto s = read_parts(seq, pm, revision, value, retry)) return s;
        if (retry) return std::nullopt;
      }
      json entry;
      if (!decode_entry(value, entry, &e)) return corrupt(kv.key, e);
      std::string lineage = entry.value("lineage", "");
      uint64_t base = entry.value("base_serial", uint64_t(0));
      if (!head_exists && out.journal_records == 0 && !lineage.empty()) {
        // The first apply was interrupted before its first snapshot: the journal is all there is.
        state.lineage = lineage;
      }
      if (lineage != state.lineage)
        return corrupt(kv.key, fmt::format("it belongs to another state (lineage {}, the "
                                           "snapshot's is {})",
                                           lineage, state.lineage));
      if (base != state.serial)
        return corrupt(kv.key, fmt::format("it continues serial {} but the snapshot is serial {}",
                                           base, state.serial));
      auto recs = entry.find("records");
      if (recs == entry.end() || !recs->is_array()) return corrupt(kv.key, "no records");
      for (const auto& rec : *recs) {
        StateChange change;
        std::string problem;
        if (!change_from_json(rec, change, &problem)) return corrupt(kv.key, problem);
        state.apply(change);
        ++out.journal_records;
      }
      next_seq_ = n + 1;
      out.existed = true;
    }
    if (!bool_field(r.body, "more") || kvs.empty()) break;
    from = kvs.back().key + std::string(1, '\0');
  }
  return std::nullopt;
}

BackendStatus EtcdBackend::append(const StateChange& change) {
  if (!loaded_) return error_of(BackendError::Kind::Usage, "state: append before load");
  json j;
  std::string e;
  if (!change_to_json(change, j, &e))
    return error_of(BackendError::Kind::Usage, "cannot record a state change: " + e);
  pending_.push_back(std::move(j));
  return std::nullopt;
}

BackendStatus EtcdBackend::flush() {
  if (pending_.empty()) return std::nullopt;
  if (corrupt_)
    return error_of(BackendError::Kind::Corrupt,
                    "refusing to write to " + describe() + ": its state could not be read");
  const std::string what = fmt::format("cannot write {} step result{} to {}", pending_.size(),
                                       pending_.size() == 1 ? "" : "s", describe());
  json entry = {{"lineage", lineage_}, {"base_serial", serial_}, {"records", pending_}};
  std::string value = encode_entry(entry, options_.compression_level);
  const std::string seq = seq_name(next_seq_);
  const std::string k = key("journal/" + seq);
  if (value.size() > options_.chunk_size) {
    // Too large for one request: the pieces first (fenced), then the entry that names them.
    auto pieces = split_chunks(value, options_.chunk_size);
    for (size_t i = 0; i < pieces.size(); ++i) {
      std::string pk = key(fmt::format("parts/{}/{:06}", seq, i));
      if (auto s = fenced_txn({}, {op_put(pk, pieces[i])}, what, nullptr)) return s;
    }
    json pm = {{"parts", pieces.size()}, {"sha256", sha256_hex(value)}};
    value = "p" + pm.dump();
  }
  auto landed = [&]() {
    Result r = client_.call("/v3/kv/range", range_request(k));
    std::vector<KeyValue> kvs;
    std::string e;
    return r.ok() && parse_kvs(r.body, kvs, &e) && !kvs.empty() && kvs[0].value == value;
  };
  if (auto s =
          fenced_txn({compare_create_revision(k, 0)}, {op_put(k, value)}, what, nullptr, landed))
    return s;
  ++next_seq_;
  pending_.clear();
  return std::nullopt;
}

BackendStatus EtcdBackend::write_snapshot(State& state) {
  if (corrupt_)
    return error_of(BackendError::Kind::Corrupt,
                    "refusing to overwrite the state in " + describe() + ": it could not be read");
  if (!loaded_) return error_of(BackendError::Kind::Usage, "state: write_snapshot before load");
  const uint64_t old_serial = state.serial;
  const std::string old_version = state.orch_version;
  state.serial = serial_ + 1;
  state.orch_version = ORCH_VERSION;
  auto restore = [&](BackendError err) -> BackendStatus {
    state.serial = old_serial;
    state.orch_version = old_version;
    return err;
  };
  const std::string what =
      fmt::format("cannot write the state snapshot (serial {}) to {}", state.serial, describe());
  std::string text, e;
  if (!state_to_json_text(state, text, &e))
    return restore(error_of(BackendError::Kind::Usage, "cannot write state: " + e));
  std::string stored = zlib_compress(text, options_.compression_level);
  auto chunks = split_chunks(stored, options_.chunk_size);

  Manifest m;
  m.lineage = state.lineage;
  m.serial = state.serial;
  m.orch_version = ORCH_VERSION;
  m.generation = fmt::format("{:016}-{}", state.serial, new_uuid().substr(0, 8));
  m.size = text.size();
  m.stored = stored.size();
  m.sha256 = sha256_hex(text);
  for (auto c : chunks) m.chunk_sha256.push_back(sha256_hex(c));
  m.written = utc_now_rfc3339();
  m.by = LockInfo::for_this_process("").who;
  const std::string head_text = m.to_json().dump();
  const std::string dir = key("snapshot/" + m.generation + "/");

  std::vector<json> commit;
  const bool inline_chunk = chunks.size() == 1 && stored.size() <= options_.chunk_size / 2;
  if (inline_chunk) {
    commit.push_back(op_put(dir + "000000", chunks[0]));
  } else {
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (auto s =
              fenced_txn({}, {op_put(dir + fmt::format("{:06}", i), chunks[i])}, what, nullptr))
        return restore(*s);
    }
  }
  commit.push_back(op_put(key("head"), head_text));
  if (!head_value_.empty()) commit.push_back(op_put(key("backup"), head_value_));
  commit.push_back(op_delete(key("journal/"), prefix_end(key("journal/"))));
  commit.push_back(op_delete(key("parts/"), prefix_end(key("parts/"))));
  // Snapshot generations other than the new one and the one `backup` will name: the old backup,
  // and leftovers of writes that failed half-way. Deleted in the same fenced txn.
  {
    RangeOptions ro;
    ro.range_end = prefix_end(key("snapshot/"));
    ro.keys_only = true;
    Result r = client_.call("/v3/kv/range", range_request(key("snapshot/"), ro));
    std::vector<KeyValue> kvs;
    if (r.ok() && parse_kvs(r.body, kvs, &e)) {
      std::set<std::string> stale;
      const std::string base = key("snapshot/");
      for (const auto& kv : kvs) {
        std::string gen = kv.key.substr(base.size(), kv.key.find('/', base.size()) - base.size());
        if (gen != m.generation && gen != generation_) stale.insert(gen);
      }
      for (const auto& gen : stale) {
        std::string d = base + gen + "/";
        commit.push_back(op_delete(d, prefix_end(d)));
      }
    }
  }
  auto landed = [&]() {
    Result r = client_.call("/v3/kv/range", range_request(key("head")));
    std::vector<KeyValue> kvs;
    std::string e2;
    return r.ok() && parse_kvs(r.body, kvs, &e2) && !kvs.empty() && kvs[0].value == head_text;
  };
  int64_t revision = 0;
  if (auto s = fenced_txn({}, std::move(commit), what, &revision, landed)) return restore(*s);
  if (revision == 0) {
    // Our write landed on an earlier attempt: learn head's revision.
    Result r = client_.call("/v3/kv/range", range_request(key("head")));
    std::vector<KeyValue> kvs;
    if (r.ok() && parse_kvs(r.body, kvs, &e) && !kvs.empty()) revision = kvs[0].mod_revision;
  }
  head_rev_ = revision;
  backup_generation_ = generation_;
  backup_serial_ = generation_.empty() ? 0 : serial_;
  generation_ = m.generation;
  head_value_ = head_text;
  serial_ = state.serial;
  lineage_ = state.lineage;
  next_seq_ = 1;
  pending_.clear();
  return std::nullopt;
}

}  // namespace orch::etcd
