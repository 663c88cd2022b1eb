// The admin console's Asio-free parts: SCRAM-SHA-256 and MD5 checks (RFC 7677's example
// exchange), the console: section, command parsing, and the tables.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "absl/strings/escaping.h"

#include "proxy/console_auth.h"
#include "proxy/console_command.h"
#include "proxy/console_settings.h"
#include "proxy/console_views.h"

namespace blueshift::proxy {
namespace {

// RFC 7677 section 3: user "user", password "pencil"; the verifier PostgreSQL stores for it.
constexpr const char* kPencil =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
constexpr const char* kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

TEST(ConsoleScram, Rfc7677ExchangeSucceedsWithTheRightProof) {
  const auto verifier = parse_scram_verifier(kPencil);
  ASSERT_TRUE(verifier);
  ScramExchange exchange(*verifier, kServerNonce);
  EXPECT_EQ(exchange.first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  EXPECT_EQ(exchange.final(kClientFinal), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(ConsoleScram, WrongProofOrNonceIsRefused) {
  const auto verifier = parse_scram_verifier(kPencil);
  ASSERT_TRUE(verifier);
  std::string wrong_proof = kClientFinal;
  wrong_proof[wrong_proof.size() - 3] = 'A';
  std::string wrong_nonce = kClientFinal;
  wrong_nonce[10] = 'x';
  for (const std::string& final : {wrong_proof, wrong_nonce, std::string("c=biws")}) {
    ScramExchange exchange(*verifier, kServerNonce);
    ASSERT_TRUE(exchange.first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
    EXPECT_FALSE(exchange.final(final)) << final;
  }
  ScramExchange binding(*verifier, kServerNonce);
  EXPECT_FALSE(binding.first("p=tls-server-end-point,,n=user,r=abc")) << "channel binding is not offered";
}

// A client's final message for password, computed as libpq does (RFC 5802).
std::string client_final(const std::string& password, const ScramVerifier& v, const std::string& client_first_bare,
                         const std::string& server_first, const std::string& nonce) {
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(v.salt.data()), static_cast<int>(v.salt.size()),
                    v.iterations, EVP_sha256(), sizeof salted, salted);
  const std::string client_key = scram_hmac(std::string(reinterpret_cast<char*>(salted), 32), "Client Key");
  const std::string without_proof = "c=biws,r=" + nonce;
  const std::string signature =
      scram_hmac(scram_sha256(client_key), client_first_bare + "," + server_first + "," + without_proof);
  std::string proof(32, '\0');
  for (size_t i = 0; i < 32; ++i) proof[i] = static_cast<char>(client_key[i] ^ signature[i]);
  return without_proof + ",p=" + absl::Base64Escape(absl_view(proof));
}

TEST(ConsoleScram, VerifierMadeFromAPasswordAcceptsItAndNoOther) {
  const ScramVerifier v = make_scram_verifier("pencil");
  EXPECT_EQ(v.iterations, 4096);
  EXPECT_NE(parse_scram_verifier(kPencil)->stored_key, v.stored_key) << "a fresh salt each time";
  for (const std::string password : {"pencil", "pen"}) {
    ScramExchange exchange(v, "servernonce");
    const auto first = exchange.first("n,,n=,r=clientnonce");
    ASSERT_TRUE(first);
    const bool accepted = exchange.final(client_final(password, v, "n=,r=clientnonce", *first, "clientnonceservernonce")).has_value();
    EXPECT_EQ(accepted, password == "pencil") << password;
  }
}

TEST(ConsoleMd5, ResponseMatchesOnlyTheStoredPasswordAndSalt) {
  // md5(md5("secret" + "admin") + "abcd"), as libpq computes it.
  const std::string stored = "md5ea909ccfbf42c1d230f26167db4d4fdb";
  EXPECT_TRUE(md5_response_matches(stored, "abcd", "md5b445d82955ef5f813594a97594dbdacc"));
  EXPECT_FALSE(md5_response_matches(stored, "abce", "md5b445d82955ef5f813594a97594dbdacc"));
  EXPECT_FALSE(md5_response_matches(stored, "abcd", "md5b445d82955ef5f813594a97594dbdacd"));
}

TEST(ConsoleSettings, ParsesUsersAndNamesTheKeyAtFault) {
  const auto ok = parse_console_settings(YAML::Load(std::string("users:\n  - {name: a, scram: \"") + kPencil +
                                                    "\"}\n  - {name: b, md5: md5ea909ccfbf42c1d230f26167db4d4fdb}\n"));
  ASSERT_EQ(ok.users.size(), 2u);
  EXPECT_TRUE(ok.find("a")->scram);
  EXPECT_EQ(ok.find("b")->md5, "md5ea909ccfbf42c1d230f26167db4d4fdb");
  EXPECT_EQ(ok.find("c"), nullptr);
  EXPECT_FALSE(parse_console_settings(YAML::Node()).enabled());
  const std::pair<const char*, const char*> bad[] = {
      {"users:\n  - {name: a, scram: nope}\n", "console.users[0].scram"},
      {"users:\n  - {name: a, md5: md5xyz}\n", "console.users[0].md5"},
      {"users:\n  - {name: a}\n", "exactly one of"},
      {"users:\n  - {name: a, md5: md5ea909ccfbf42c1d230f26167db4d4fdb, password_env: X}\n", "exactly one of"},
      {"users:\n  - {name: a, password_env: BLUESHIFT_SURELY_UNSET_VARIABLE}\n", "console.users[0].password_env"},
      {"users:\n  - {name: a, password_file: /nonexistent/file}\n", "console.users[0].password_file"},
      {"users:\n  - {name: a, md5: md5ea909ccfbf42c1d230f26167db4d4fdb}\n  - {name: a, md5: md5ea909ccfbf42c1d230f26167db4d4fdb}\n",
       "console.users[1].name"},
      {"user: []\n", "console.user"},
  };
  for (const auto& [yaml, key] : bad) {
    try {
      (void)parse_console_settings(YAML::Load(yaml));
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

TEST(ConsoleCommand, ReadsPgBouncerWordsAndRefusesTheRest) {
  using Kind = ConsoleCommand::Kind;
  const std::pair<const char*, Kind> rows[] = {
      {"SHOW STATS", Kind::ShowStats},     {"show clients;", Kind::ShowClients}, {" Show  Servers ; ", Kind::ShowServers},
      {"SHOW RULES", Kind::ShowRules},     {"SHOW CONFIG", Kind::ShowConfig},    {"show version", Kind::ShowVersion},
      {"reload", Kind::Reload},            {"PAUSE", Kind::Pause},               {"RESUME;", Kind::Resume},
      {"SHUTDOWN", Kind::Shutdown},        {"KILL 12", Kind::Kill},              {" ; ", Kind::Empty},
      {"select 1", Kind::Unknown},         {"SHOW POOLS", Kind::Unknown},        {"KILL", Kind::Unknown},
      {"KILL 0", Kind::Unknown},           {"KILL 1x", Kind::Unknown},           {"KILL 1 2", Kind::Unknown},
      {"SHOW STATS extra", Kind::Unknown}, {"RELOAD now", Kind::Unknown},
  };
  for (const auto& [text, kind] : rows) EXPECT_EQ(parse_console_command(text).kind, kind) << text;
  EXPECT_EQ(parse_console_command("kill 42").client_id, 42u);
  EXPECT_NE(parse_console_command("KILL x").error.find("not a client id"), std::string::npos);
}

TEST(ConsoleViews, StatsAddLiveSessionsToEndedOnesPerDatabaseAndUser) {
  ClientRow live;
  live.database = "dev";
  live.user = "analyst";
  live.traffic = {3, 100, 1000, 0.5};
  ClientRow console = live;
  console.console = true;  // the console's own sessions carry no warehouse traffic
  std::map<ConsoleTotals::Key, SessionTraffic> ended = {{{"dev", "analyst"}, {2, 10, 20, 0.25}},
                                                        {{"dev", "etl"}, {1, 1, 1, 0.0}}};
  const std::string bytes = stats_result({live, console}, ended).encode("SHOW");
  // One DataRow per (database, user), with the sums: 5 queries, 110 in, 1020 out.
  EXPECT_NE(bytes.find(std::string("\x00\x00\x00\x01" "5", 5)), std::string::npos);
  EXPECT_NE(bytes.find("110"), std::string::npos);
  EXPECT_NE(bytes.find("1020"), std::string::npos);
  EXPECT_EQ(stats_result({live, console}, ended).rows(), 2u);
}

}  // namespace
}  // namespace blueshift::proxy
