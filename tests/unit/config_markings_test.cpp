// config_markings_test.cpp - [markings], [[trigger]], [sovereignty],
// [personal], [journal] and [intercept]: the defaults, every key,
// normalisation, the describe() round trip, and one test per kind of bad
// value (each error names the file, the line and the key).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using Strings = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

Config load_ok(std::string_view text, const fs::path& base = "/etc/securemail") {
  auto c = load_string(text, "config.toml", base);
  EXPECT_TRUE(c.has_value()) << c.error();
  return c ? *c : Config{};
}

// A folder with an archive certificate (its PEM armour is all the loader checks).
struct ArchiveFolder {
  fs::path dir = fs::temp_directory_path() / ("sm-config-markings-" + std::to_string(::getpid()));
  ArchiveFolder() {
    fs::create_directories(dir);
    std::ofstream(dir / "archive.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::ofstream(dir / "not.pem") << "just text\n";
  }
  ~ArchiveFolder() { fs::remove_all(dir); }
};

}  // namespace

TEST(ConfigMarkings, Defaults) {
  Config c = embedded_default();
  EXPECT_EQ(c.markings.ladder.size(), 7u);
  EXPECT_EQ(c.markings.ladder.front(), "UNCLASSIFIED");
  EXPECT_EQ(c.markings.accreditation, "RESTRICTED");
  EXPECT_EQ(c.markings.unmarked, MarkingsConfig::Unmarked::pass);
  ASSERT_EQ(c.triggers.size(), 5u);
  EXPECT_EQ(c.triggers[0].word, "SEEMAIL");
  EXPECT_EQ(c.sovereignty.approved, Strings{"NZ"});
  EXPECT_TRUE(c.journal.address.empty());
  EXPECT_TRUE(c.intercept.officers.empty());
}

TEST(ConfigMarkings, EveryKey) {
  ArchiveFolder f;
  Config c = load_ok(R"(
[routes]
"partner.example" = "smtp://192.0.2.1:25"

[markings]
ladder = ["unclassified", "official", "official  sensitive", "protected", "secret"]
australian = true
header = "X-Classification"
accreditation = "Protected"
plain_max = "OFFICIAL"
internet_max = "protected"
member_default = "official sensitive"
unmarked = "tag"
unmarked_tag = "[NOT MARKED]"
distribution_lists = ["all-staff@agency.govt.nz", "*@.lists.agency.govt.nz"]
release = ["*@citizen.example"]

[[trigger]]
word = "[seemail]"
allow = "members"

[[trigger]]
word = "Protected"
allow = "accredited"
level = "PROTECTED"

[sovereignty]
approved = ["nz", "AU"]
data = "nz"
routes = { default = "NZ", "partner.example" = "au" }
from_marking = "OFFICIAL SENSITIVE"

[personal]
senders = ["*@personaluse.agency.govt.nz"]
tag = "[PRIVATE]"

[journal]
address = "Records@Archive.Agency.govt.nz"
certificate = "archive.pem"

[[journal.rule]]
name = "official"
personal = false
direction = "outbound"

[intercept]
officers = ["Lio.Officer", "deputy"]
)", f.dir);
  const auto& m = c.markings;
  EXPECT_EQ(m.ladder, (Strings{"UNCLASSIFIED", "OFFICIAL", "OFFICIAL SENSITIVE", "PROTECTED", "SECRET"}));
  EXPECT_TRUE(m.australian);
  EXPECT_EQ(m.header, "X-Classification");
  EXPECT_EQ(m.accreditation, "PROTECTED");
  EXPECT_EQ(m.plain_max, "OFFICIAL");
  EXPECT_EQ(m.member_default, "OFFICIAL SENSITIVE");
  EXPECT_EQ(m.unmarked, MarkingsConfig::Unmarked::tag);
  EXPECT_EQ(m.unmarked_tag, "[NOT MARKED]");
  EXPECT_EQ(m.distribution_lists, (Strings{"all-staff@agency.govt.nz", "*@.lists.agency.govt.nz"}));
  EXPECT_EQ(m.release, Strings{"*@citizen.example"});
  ASSERT_EQ(c.triggers.size(), 2u);  // a [[trigger]] list replaces the defaults
  EXPECT_EQ(c.triggers[0].word, "SEEMAIL");
  EXPECT_EQ(c.triggers[1].word, "PROTECTED");
  EXPECT_EQ(c.triggers[1].allow, TriggerWord::Allow::accredited);
  EXPECT_EQ(c.triggers[1].level, "PROTECTED");
  EXPECT_EQ(c.sovereignty.approved, (Strings{"NZ", "AU"}));
  EXPECT_EQ(c.sovereignty.data, "NZ");
  EXPECT_EQ(c.sovereignty.routes.at("default"), "NZ");
  EXPECT_EQ(c.sovereignty.routes.at("partner.example"), "AU");
  EXPECT_EQ(c.sovereignty.from_marking, "OFFICIAL SENSITIVE");
  EXPECT_EQ(c.personal.senders, Strings{"*@personaluse.agency.govt.nz"});
  EXPECT_EQ(c.personal.tag, "[PRIVATE]");
  EXPECT_EQ(c.journal.address, "records@archive.agency.govt.nz");
  EXPECT_EQ(c.journal.certificate, f.dir / "archive.pem");
  ASSERT_EQ(c.journal.rules.size(), 1u);
  EXPECT_EQ(c.journal.rules[0].name, "official");
  EXPECT_EQ(c.journal.rules[0].when.personal, false);
  EXPECT_EQ(c.journal.rules[0].when.direction, "outbound");
  EXPECT_EQ(c.intercept.officers, (Strings{"lio.officer", "deputy"}));

  // describe() writes it back in a form that loads to the same values.
  std::string text = describe(c);
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  EXPECT_EQ(again->markings.ladder, m.ladder);
  EXPECT_EQ(again->markings.distribution_lists, m.distribution_lists);
  EXPECT_EQ(again->triggers.size(), 2u);
  EXPECT_EQ(again->sovereignty.routes, c.sovereignty.routes);
  EXPECT_EQ(again->journal.rules.size(), 1u);
  EXPECT_EQ(again->journal.rules[0].when.personal, false);
  std::string text2 = describe(*again);  // the same but for the "# effective configuration from" line
  EXPECT_EQ(text2.substr(text2.find('\n')), text.substr(text.find('\n')));
}

TEST(ConfigMarkings, DefaultsDescribeAndLoadBack) {
  std::string text = describe(embedded_default());
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  EXPECT_EQ(again->triggers.size(), 5u);
  EXPECT_EQ(again->triggers[2].level, "SENSITIVE");
}

TEST(ConfigMarkings, EmptyTriggerListTurnsThemOff) {
  Config c = load_ok("trigger = []\n");
  EXPECT_TRUE(c.triggers.empty());
}

TEST(ConfigMarkings, BadLadder) {
  EXPECT_EQ(load_error("[markings]\nladder = [\"UNCLASSIFIED\", \"IN-CONFIDENCE\", \"SENSITIVE\", \"RESTRICTED\", \"restricted\"]\n"),
            "config.toml:2: markings.ladder: \"RESTRICTED\" is on the ladder twice (a space and a hyphen are read alike)");
  EXPECT_EQ(load_error("[markings]\nladder = [\"LOW\", \"SENSITIVE\", \"RESTRICTED\"]\n[sovereignty]\nfrom_marking = \"LOW\"\n"),
            "config.toml:2: markings.plain_max: the default \"IN-CONFIDENCE\" is not on markings.ladder: set "
            "markings.plain_max to one of its levels\n"
            "config.toml:2: markings.member_default: the default \"IN-CONFIDENCE\" is not on markings.ladder: set "
            "markings.member_default to one of its levels");
  EXPECT_EQ(load_error("[markings]\nladder = [\"IN CONFIDENCE\", \"IN-CONFIDENCE\"]\n").find("twice") != std::string::npos, true);
  EXPECT_EQ(load_error("[markings]\nladder = [\"A[B]\"]\n").substr(0, 33), "config.toml:2: markings.ladder: b");
  EXPECT_NE(load_error("[markings]\nladder = []\n").find("markings.ladder: must name at least one level"), std::string::npos);
  // The default trigger words name SENSITIVE and RESTRICTED.
  EXPECT_NE(load_error("[markings]\nladder = [\"LOW\", \"HIGH\"]\naccreditation = \"HIGH\"\nplain_max = \"LOW\"\n"
                       "internet_max = \"HIGH\"\nmember_default = \"LOW\"\n[sovereignty]\nfrom_marking = \"LOW\"\n")
                .find("config.toml:2: markings.ladder: the default trigger word SENSITIVE needs the level SENSITIVE"),
            std::string::npos);
}

TEST(ConfigMarkings, LevelsMustBeOnTheLadder) {
  EXPECT_EQ(load_error("[markings]\naccreditation = \"SECRETISH\"\n"),
            "config.toml:2: markings.accreditation: \"SECRETISH\" is not on markings.ladder [\"UNCLASSIFIED\", "
            "\"IN-CONFIDENCE\", \"SENSITIVE\", \"RESTRICTED\", \"CONFIDENTIAL\", \"SECRET\", \"TOP SECRET\"]");
  for (std::string k : {"plain_max", "internet_max", "member_default"})
    EXPECT_NE(load_error("[markings]\n" + k + " = \"X\"\n").find("config.toml:2: markings." + k + ": \"X\" is not on"),
              std::string::npos);
  EXPECT_NE(load_error("[sovereignty]\nfrom_marking = \"X\"\n").find("config.toml:2: sovereignty.from_marking:"),
            std::string::npos);
  // Spelled with a space or any case, it is found and stored as the ladder spells it.
  Config c = load_ok("[markings]\nplain_max = \"in confidence\"\n");
  EXPECT_EQ(c.markings.plain_max, "IN-CONFIDENCE");
}

TEST(ConfigMarkings, BadMarkingsValues) {
  EXPECT_EQ(load_error("[markings]\nunmarked = \"drop\"\n"),
            "config.toml:2: markings.unmarked: bad value \"drop\" (use pass, tag or refuse)");
  EXPECT_NE(load_error("[markings]\nunmarked_tag = \"\"\n").find("config.toml:2: markings.unmarked_tag:"), std::string::npos);
  EXPECT_EQ(load_error("[markings]\nheader = \"X Marking:\"\n"),
            "config.toml:2: markings.header: bad header field name \"X Marking:\"");
  EXPECT_NE(load_error("[markings]\ndistribution_lists = [\"nobody\"]\n").find("config.toml:2: markings.distribution_lists: bad pattern"),
            std::string::npos);
  EXPECT_NE(load_error("[markings]\nlevel = 3\n").find("config.toml:2: markings.level: unknown key"), std::string::npos);
}

TEST(ConfigMarkings, BadTriggers) {
  EXPECT_EQ(load_error("[[trigger]]\nallow = \"members\"\n"), "config.toml:1: trigger[0].word: missing: the word, e.g. \"SEEMAIL\"");
  EXPECT_EQ(load_error("[[trigger]]\nword = \"X\"\nallow = \"friends\"\n"),
            "config.toml:3: trigger[0].allow: bad value \"friends\" (use members, trusted, accredited or participants)");
  EXPECT_EQ(load_error("[[trigger]]\nword = \"X\"\nallow = \"accredited\"\n"),
            "config.toml:1: trigger[0].level: missing: allow = \"accredited\" needs the level partners must be accredited for");
  EXPECT_NE(load_error("[[trigger]]\nword = \"X\"\nallow = \"accredited\"\nlevel = \"HUSH\"\n")
                .find("config.toml:4: trigger[0].level: \"HUSH\" is not on markings.ladder"),
            std::string::npos);
  EXPECT_EQ(load_error("[[trigger]]\nword = \"X\"\nlevel = \"SECRET\"\n"),
            "config.toml:3: trigger[0].level: only for allow = \"accredited\"");
  EXPECT_EQ(load_error("[[trigger]]\nword = \"X\"\n[[trigger]]\nword = \"[x]\"\n"),
            "config.toml:4: trigger[1].word: \"X\" is given by another [[trigger]]");
  EXPECT_NE(load_error("[trigger]\nword = \"X\"\n").find("write [[trigger]]"), std::string::npos);
}

TEST(ConfigMarkings, BadSovereignty) {
  EXPECT_EQ(load_error("[sovereignty]\napproved = [\"NZ\", \"UK\"]\n"),
            "config.toml:2: sovereignty.approved: \"UK\" is not an ISO 3166-1 alpha-2 country code (e.g. \"NZ\", \"AU\")");
  EXPECT_NE(load_error("[sovereignty]\napproved = []\n").find("sovereignty.approved: must name at least one"), std::string::npos);
  EXPECT_NE(load_error("[sovereignty]\ndata = \"NZL\"\n").find("config.toml:2: sovereignty.data: \"NZL\" is not an ISO"),
            std::string::npos);
  EXPECT_EQ(load_error("[sovereignty.routes]\n\"other.example\" = \"NZ\"\n"),
            "config.toml:2: sovereignty.routes.other.example: no such route: name \"default\" or a domain of [routes]");
  EXPECT_NE(load_error("[sovereignty.routes]\ndefault = \"ZZ\"\n").find("config.toml:2: sovereignty.routes.default: \"ZZ\""),
            std::string::npos);
  EXPECT_NE(load_error("[sovereignty]\nroutes = \"NZ\"\n").find("sovereignty.routes: expected a table"), std::string::npos);
}

TEST(ConfigMarkings, BadPersonalAndIntercept) {
  EXPECT_NE(load_error("[personal]\nsenders = [\"@x\"]\n").find("config.toml:2: personal.senders: bad pattern"), std::string::npos);
  EXPECT_NE(load_error("[personal]\ntag = \"a\\r\\nBcc: x\"\n").find("config.toml:2: personal.tag:"), std::string::npos);
  EXPECT_EQ(load_error("[intercept]\nofficers = [\"bad name\"]\n"),
            "config.toml:2: intercept.officers: bad account name \"bad name\" (the login name of an account)");
}

TEST(ConfigMarkings, BadJournal) {
  ArchiveFolder f;
  auto error_in = [&](std::string_view text) {
    auto c = load_string(text, "config.toml", f.dir);
    EXPECT_FALSE(c.has_value()) << text;
    return c ? std::string() : c.error();
  };
  EXPECT_EQ(error_in("[journal]\naddress = \"records\"\ncertificate = \"archive.pem\"\n[[journal.rule]]\nname = \"all\"\n"),
            "config.toml:2: journal.address: bad address \"records\" (use local@domain)");
  EXPECT_NE(error_in("[journal]\naddress = \"r@a.example\"\ncertificate = \"missing.pem\"\n[[journal.rule]]\nname = \"all\"\n")
                .find("config.toml:3: journal.certificate: cannot read"),
            std::string::npos);
  EXPECT_NE(error_in("[journal]\naddress = \"r@a.example\"\ncertificate = \"not.pem\"\n[[journal.rule]]\nname = \"all\"\n")
                .find("config.toml:3: journal.certificate: " + (f.dir / "not.pem").string() + " is not a PEM certificate"),
            std::string::npos);
  EXPECT_EQ(error_in("[journal]\naddress = \"r@a.example\"\n[[journal.rule]]\nname = \"all\"\n"),
            "config.toml:2: journal.certificate: missing: the archive's certificate (PEM) that journal copies are sealed to");
  EXPECT_EQ(error_in("[journal]\naddress = \"r@a.example\"\ncertificate = \"archive.pem\"\n"),
            "config.toml:2: journal.rule: missing: at least one [[journal.rule]] saying which mail is journaled");
  EXPECT_EQ(error_in("[[journal.rule]]\nname = \"all\"\n"),
            "config.toml:1: journal.address: missing: the records archive address for [[journal.rule]] copies");
  EXPECT_EQ(error_in("[journal]\naddress = \"r@a.example\"\ncertificate = \"archive.pem\"\n[[journal.rule]]\nname = \"all\"\nsubject = \"x\"\n"),
            "config.toml:6: journal.rule[0].subject: unknown key");
}
