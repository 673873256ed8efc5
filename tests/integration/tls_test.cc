// The console over HTTPS (`convene run --http --tls-cert --tls-key`): a
// certificate made with openssl, curl trusting only it, the session cookie
// marked Secure; plain HTTP gets no answer; a key that is not the
// certificate's is refused at start with the reason.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("data");
    cert_ = dir_.Sub("cert.pem");
    key_ = dir_.Sub("key.pem");
    std::string out;
    for (const auto& [cert, key, name] : {std::tuple{cert_, key_, "/CN=localhost"},
                                          std::tuple{dir_.Sub("other-cert.pem"),
                                                     dir_.Sub("other-key.pem"), "/CN=other"}}) {
      ASSERT_EQ(RunToCompletion({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                 "-keyout", key, "-out", cert, "-days", "2", "-subj", name,
                                 "-addext", "subjectAltName=IP:127.0.0.1"},
                                &out),
                0)
          << out;
    }
    std::string password = dir_.Sub("password");
    std::ofstream(password) << "housing-pass-12\n";
    ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "user", "add", "--data", data_, "--partner", "housing",
                               "--email", "a@housing.example", "--config", CONVENE_CONFIG_DIR},
                              &out, std::chrono::seconds(30), password),
              0)
        << out;
  }

  // curl trusting only our certificate; the exit status, and what it printed.
  int Curl(const std::vector<std::string>& args, std::string* out) {
    std::vector<std::string> argv = {"curl", "-s", "--cacert", cert_, "-c", dir_.Sub("jar"),
                                     "-b", dir_.Sub("jar")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunToCompletion(argv, out, std::chrono::seconds(30));
  }

  TempDir dir_;
  std::string data_, cert_, key_;
};

TEST_F(TlsTest, TheConsoleServesHttpsWithSecureCookiesAndRefusesAKeyThatDoesNotFit) {
  int port = FreePort();
  std::string address = "127.0.0.1:" + std::to_string(port);
  auto engine = std::make_unique<EmbeddedEngineProcess>(
      dir_, "engine", data_,
      std::vector<std::string>{"--http", address, "--tls-cert", cert_, "--tls-key", key_});
  ASSERT_TRUE(engine->ok());
  std::string https = "https://" + address, out;
  ASSERT_TRUE(WaitFor([&] { return Curl({"-o", "/dev/null", https + "/metrics"}, &out) == 0; },
                      std::chrono::seconds(30)));
  ASSERT_EQ(Curl({"-D", "-", "-H", "Content-Type: application/json", "-d",
                  R"({"email":"a@housing.example","password":"housing-pass-12"})", https + "/api/session"},
                 &out),
            0);
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("HttpOnly; SameSite=Strict; Secure"), std::string::npos) << out;
  EXPECT_NE(out.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << out;
  ASSERT_EQ(Curl({"-w", " %{http_code}", https + "/api/tasks"}, &out), 0);
  EXPECT_EQ(out.substr(out.size() - 4), " 200") << out;
  // Plain HTTP on the same port: no answer a browser would take.
  EXPECT_NE(Curl({"-o", "/dev/null", "-w", "%{http_code}", "http://" + address + "/sign-in"}, &out), 0);
  EXPECT_EQ(engine->Stop(), 0);
  engine.reset();

  // A key that is not the certificate's: refused, saying so, exit 2.
  // (stderr read too: that is where the reason goes)
  auto run = [&](const std::string& tls) {
    return RunToCompletion({"sh", "-c", std::string(CONVENE_BINARY) + " run --config " +
                                            CONVENE_CONFIG_DIR + " --data " + data_ + " --http " +
                                            address + " " + tls + " 2>&1"},
                           &out, std::chrono::seconds(60));
  };
  ASSERT_EQ(run("--tls-cert " + cert_ + " --tls-key " + dir_.Sub("other-key.pem")), 2) << out;
  EXPECT_NE(out.find("is --tls-key the key of --tls-cert?"), std::string::npos) << out;
  ASSERT_EQ(run("--tls-cert " + cert_), 2) << out;
  EXPECT_NE(out.find("--tls-cert and --tls-key go together"), std::string::npos) << out;
}

}  // namespace
}  // namespace convene::testing
