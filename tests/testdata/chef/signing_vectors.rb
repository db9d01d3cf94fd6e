# Prints Chef request-signing test vectors made by the real Mixlib::Authentication (Debian's
# ruby-mixlib-authentication) with test_client.pem; its output is
# signing_vectors.json, which tests/chef_signing_test.cc checks orch's signer against.
# Run: ruby tests/testdata/chef/signing_vectors.rb > tests/testdata/chef/signing_vectors.json
require "openssl"
require "base64"
require "time"
require "mixlib/authentication"
require "mixlib/authentication/signedheaderauth"
require "json"

key = OpenSSL::PKey::RSA.new(File.read(File.join(__dir__, "test_client.pem")))
cases = [
  { http_method: :get, path: "/organizations/orch/nodes/web-1", body: "",
    timestamp: "2026-11-24T23:24:23Z", user_id: "orch-ci", proto_version: "1.3",
    headers: { "X-Ops-Server-API-Version" => "1" } },
  { http_method: :post, path: "//organizations/orch//search/node/", body: "{\"name\":[\"name\"]}",
    timestamp: "2024-02-29T08:00:00Z", user_id: "orch-ci", proto_version: "1.3",
    headers: { "X-Ops-Server-API-Version" => "2" } },
  { http_method: :put, path: "/organizations/orch/nodes/web-1", body: "{\"name\":\"web-1\"}",
    timestamp: "2026-11-24T23:24:23Z", user_id: "orch-ci", proto_version: "1.0" },
  { http_method: :delete, path: "/", body: "", timestamp: "2000-01-01T00:00:00Z",
    user_id: "pivotal", proto_version: "1.0" },
]
vectors = cases.map do |c|
  obj = Mixlib::Authentication::SignedHeaderAuth.signing_object(c)
  alg = c[:proto_version] == "1.3" ? "sha256" : "sha1"
  h = obj.sign(key, sign_algorithm: alg, sign_version: c[:proto_version])
  { "input" => c.reject { |k, _| k == :headers }.merge(
    "server_api_version" => (c[:headers] || {})["X-Ops-Server-API-Version"]), "headers" => h }
end
puts JSON.pretty_generate(vectors)
