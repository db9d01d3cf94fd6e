// Network functions on CIDR prefixes (IPv4 and IPv6): cidrhost cidrnetmask cidrsubnet
// cidrsubnets. Addresses are held in 128-bit integers.
#include <arpa/inet.h>

#include <algorithm>

#include <fmt/format.h>

#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

using u128 = unsigned __int128;

struct Prefix {
  u128 addr = 0;  // network address (host bits cleared)
  int bits = 32;  // 32 (IPv4) or 128 (IPv6)
  int len = 0;    // prefix length
};

u128 mask_of(int bits, int len) {
  if (len == 0) return 0;
  u128 all = bits == 128 ? ~u128{0} : (u128{1} << bits) - 1;
  return all & ~((len >= bits ? u128{0} : (u128{1} << (bits - len)) - 1));
}

Prefix parse_prefix(const Args& a, int i) {
  std::string s = str(a, i, "prefix");
  auto bad = [&]() { fail(i, "prefix", fmt::format("invalid CIDR expression: \"{}\"", s)); };
  size_t slash = s.find('/');
  if (slash == std::string::npos) bad();
  std::string ip = s.substr(0, slash);
  std::string len = s.substr(slash + 1);
  if (len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), ::isdigit)) bad();
  Prefix p;
  unsigned char buf[16];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) {
    p.bits = 32;
    for (int k = 0; k < 4; ++k) p.addr = (p.addr << 8) | buf[k];
  } else if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) {
    p.bits = 128;
    for (int k = 0; k < 16; ++k) p.addr = (p.addr << 8) | buf[k];
  } else {
    bad();
  }
  p.len = std::stoi(len);
  if (p.len > p.bits) bad();
  p.addr &= mask_of(p.bits, p.len);
  return p;
}

std::string format_addr(u128 addr, int bits) {
  char out[INET6_ADDRSTRLEN];
  unsigned char buf[16];
  int n = bits / 8;
  for (int k = n - 1; k >= 0; --k) {
    buf[k] = static_cast<unsigned char>(addr & 0xFF);
    addr >>= 8;
  }
  inet_ntop(bits == 32 ? AF_INET : AF_INET6, buf, out, sizeof out);
  return out;
}

// 2^n as u128, saturating at the maximum for n >= 128.
u128 pow2(int n) {
  return n >= 128 ? ~u128{0} : u128{1} << n;
}

Value cidrhost_fn(const Args& a, const CallContext&) {
  Prefix p = parse_prefix(a, 0);
  int64_t host = whole(a, 1, "hostnum");
  int host_bits = p.bits - p.len;
  u128 size = pow2(host_bits);
  u128 mag = host < 0 ? static_cast<u128>(-(host + 1)) + 1 : static_cast<u128>(host);
  if ((host >= 0 && host_bits < 128 && mag >= size) ||
      (host < 0 && host_bits < 128 && mag > size)) {
    fail(1, "hostnum",
         fmt::format("prefix of {} bits cannot accommodate a host numbered {}", p.len, host));
  }
  u128 offset = host >= 0 ? mag : size - mag;
  return Value::string(format_addr(p.addr + offset, p.bits));
}

Value cidrnetmask_fn(const Args& a, const CallContext&) {
  Prefix p = parse_prefix(a, 0);
  if (p.bits != 32) fail(0, "prefix", "only IPv4 networks have a netmask");
  return Value::string(format_addr(mask_of(32, p.len), 32));
}

std::string subnet(const Prefix& p, int64_t newbits, int64_t netnum, int newbits_arg) {
  if (newbits < 0) fail(newbits_arg, "newbits", "must not be negative");
  if (p.len + newbits > p.bits) {
    fail(newbits_arg, "newbits",
         fmt::format("insufficient address space to extend prefix of {} by {}", p.len, newbits));
  }
  int len = p.len + static_cast<int>(newbits);
  if (netnum < 0 ||
      (newbits < 64 && static_cast<u128>(netnum) >= pow2(static_cast<int>(newbits)))) {
    fail(2, "netnum",
         fmt::format("prefix extension of {} does not accommodate a subnet numbered {}", newbits,
                     netnum));
  }
  u128 addr = len == 0 ? p.addr : p.addr | (static_cast<u128>(netnum) << (p.bits - len));
  return format_addr(addr, p.bits) + "/" + std::to_string(len);
}

Value cidrsubnet_fn(const Args& a, const CallContext&) {
  Prefix p = parse_prefix(a, 0);
  return Value::string(subnet(p, whole(a, 1, "newbits"), whole(a, 2, "netnum"), 1));
}

// Consecutive subnets, each aligned to its own size, as Terraform allocates them.
Value cidrsubnets_fn(const Args& a, const CallContext&) {
  Prefix p = parse_prefix(a, 0);
  u128 host_mask = ~mask_of(p.bits, p.len) & (p.bits == 128 ? ~u128{0} : pow2(p.bits) - 1);
  u128 end = p.addr | host_mask;  // last address of the prefix
  u128 next = p.addr;
  bool exhausted = false;
  ValueList out;
  for (size_t i = 1; i < a.size(); ++i) {
    int arg = static_cast<int>(i);
    int64_t nb = whole(a, arg, "newbits");
    if (nb < 1) fail(arg, "newbits", "must be at least 1");
    if (p.len + nb > p.bits) {
      fail(arg, "newbits",
           fmt::format("would extend prefix to {} bits, which is too long for an IPv{} address",
                       p.len + nb, p.bits == 32 ? 4 : 6));
    }
    int len = p.len + static_cast<int>(nb);
    u128 size = pow2(p.bits - len);
    u128 start = (next + size - 1) / size * size;  // align up
    if (exhausted || start < next || start > end || start + (size - 1) > end) {
      fail(arg, "newbits",
           fmt::format("not enough remaining address space for a subnet with a "
                       "prefix of {} bits after {}",
                       len, out.empty() ? "the start" : out.back().as_string()));
    }
    out.push_back(Value::string(format_addr(start, p.bits) + "/" + std::to_string(len)));
    next = start + size;
    exhausted = start + (size - 1) == end;
  }
  return Value::list(std::move(out), Type::string());
}

}  // namespace

void add_network(Functions& f) {
  Type s = Type::string();
  f.add(make("cidrhost", 2, 2, "cidrhost(prefix, hostnum)", returns(s), cidrhost_fn));
  f.add(make("cidrnetmask", 1, 1, "cidrnetmask(prefix)", returns(s), cidrnetmask_fn));
  f.add(make("cidrsubnet", 3, 3, "cidrsubnet(prefix, newbits, netnum)", returns(s), cidrsubnet_fn));
  f.add(make("cidrsubnets", 1, -1, "cidrsubnets(prefix, newbits...)", returns(Type::list(s)),
             cidrsubnets_fn));
}

}  // namespace orch::fn
