// json_read.cpp - the strict reader for feeds and member entries (see
// codec.h): JSON text straight into Feed / Member through nlohmann's SAX
// interface, with no JSON tree in between (a 100,000-member feed is over
// 100 MB; building and freeing a tree for it cost more than the parse).
//
// A small stack of frames says where the parser is (the feed object, the
// members array, one member, a list of strings, the certification object,
// or an unknown field being skipped); every value is checked for its type
// as it arrives and every member for its field shapes (syntax.h) when it
// closes, so the first problem ends the parse with its path
// ("members[3].domains[0]: not a lower-case host name"). A field given
// twice is refused; unknown fields are skipped, however deep.
#include <algorithm>
#include <limits>
#include <span>

#include "directory/codec.h"
#include "directory/syntax.h"

namespace sm::directory::detail {

namespace {

enum class Type { text, texts, flag, integer, count, object, objects };

struct Spec {
  std::string_view name;
  Type type;
  bool required;
};

enum MemberField { kId, kOrganisation, kDomains, kSubdomains, kEndpoints, kCertificates, kCapabilities,
                   kJurisdiction, kContact, kStatus, kCreated, kUpdated, kTier, kMarking, kCertification };
constexpr Spec kMemberSpec[] = {
    {"id", Type::text, true},           {"organisation", Type::text, true},
    {"domains", Type::texts, true},     {"include_subdomains", Type::flag, false},
    {"endpoints", Type::texts, false},  {"certificates", Type::texts, false},
    {"capabilities", Type::texts, false}, {"jurisdiction", Type::text, false},
    {"admin_contact", Type::text, false}, {"status", Type::text, false},
    {"created", Type::integer, false},  {"updated", Type::integer, false},
    {"tier", Type::text, false},        {"max_marking", Type::text, false},
    {"certification", Type::object, false}};
enum FeedField { kFormat, kSerial, kIssued, kAuthority, kMembers, kRequirements };
constexpr Spec kFeedSpec[] = {{"format", Type::text, true},    {"serial", Type::count, true},
                              {"issued", Type::text, true},    {"authority", Type::text, true},
                              {"members", Type::objects, true}, {"requirements", Type::object, false}};
enum RequirementsField { kReqProfile, kReqSince, kReqGrace };
constexpr Spec kRequirementsSpec[] = {
    {"profile", Type::text, true}, {"since", Type::text, true}, {"grace_days", Type::count, false}};
enum CertificationField { kProfile, kDate, kResult };
constexpr Spec kCertificationSpec[] = {
    {"profile", Type::text, false}, {"date", Type::text, false}, {"result", Type::text, false}};

std::string_view type_error(Type t) {
  switch (t) {
    case Type::text: return "must be a string";
    case Type::texts: return "must be an array of strings";
    case Type::flag: return "must be true or false";
    case Type::integer: return "must be an integer of at most 63 bits";
    case Type::count: return "must be a non-negative integer";
    case Type::object: return "must be an object";
    case Type::objects: return "must be an array";
  }
  return "has the wrong type";
}

bool is_certificate_pem(std::string_view pem) {
  return pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos;
}

// One JSON scalar as the SAX parser hands it over.
struct Scalar {
  enum Kind { null, boolean, integer, unsigned_integer, floating, string } kind;
  bool flag = false;
  std::int64_t integer_value = 0;
  std::uint64_t unsigned_value = 0;
  const std::string* text = nullptr;
};

class Reader {
 public:
  enum class Root { feed, member };
  explicit Reader(Root root) : root_(root) {}

  // --- nlohmann SAX interface -------------------------------------------
  bool null() { return value({Scalar::null}); }
  bool boolean(bool v) { return value({Scalar::boolean, v}); }
  bool number_integer(std::int64_t v) { return value({Scalar::integer, false, v}); }
  bool number_unsigned(std::uint64_t v) { return value({Scalar::unsigned_integer, false, 0, v}); }
  bool number_float(double, const std::string&) { return value({Scalar::floating}); }
  bool string(std::string& v) { return value({Scalar::string, false, 0, 0, &v}); }
  bool binary(Json::binary_t&) { return fail("binary values are not JSON"); }
  bool start_object(std::size_t);
  bool end_object();
  bool start_array(std::size_t);
  bool end_array();
  bool key(std::string& k);
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    if (!error_) error_ = FeedError{Rejection::malformed, std::string("not JSON: ") + e.what()};
    return false;
  }

  std::optional<FeedError>& error() { return error_; }
  Feed& feed() { return feed_; }

 private:
  enum class Frame { feed, members, member, certification, requirements, texts, skip };
  struct Level {
    Frame frame;
    int field = -1;                           // objects: the field whose value is next (-1 unknown)
    unsigned seen = 0;                        // objects: one bit per field given
    std::size_t count = 0;                    // arrays: items begun
    std::size_t depth = 0;                    // skip: nesting left to close
    std::vector<std::string>* texts = nullptr;
  };

  static std::span<const Spec> specs(Frame f) {
    if (f == Frame::feed) return kFeedSpec;
    if (f == Frame::member) return kMemberSpec;
    if (f == Frame::requirements) return kRequirementsSpec;
    return kCertificationSpec;
  }
  Member& member() { return feed_.members.back(); }
  void begin_member() {
    feed_.members.emplace_back();
    status_ = "active";
    tier_ = "member";
  }

  std::string path() const;
  bool fail(std::string_view what);
  bool fail_at(std::string_view field, std::string_view what, std::size_t index = SIZE_MAX);
  bool nested(Level& top);
  bool close_skip();
  bool value(const Scalar& v);
  bool store_feed(int field, const Scalar& v);
  bool store_member(int field, const Scalar& v);
  bool finish_member(unsigned seen);
  bool finish_feed(unsigned seen);
  bool finish_requirements(unsigned seen);
  bool check_shapes(Member& m);

  Root root_;
  std::vector<Level> stack_;
  Feed feed_;
  std::string status_, tier_;  // of the member being read
  std::optional<FeedError> error_;
};

// Where the parser is: "members[3].domains[0]".
std::string Reader::path() const {
  std::string p;
  auto add = [&p](std::string_view name) {
    if (!p.empty()) p += '.';
    p += name;
  };
  for (const Level& l : stack_) {
    switch (l.frame) {
      case Frame::members:
      case Frame::texts: p += "[" + std::to_string(l.count - 1) + "]"; break;
      case Frame::skip: break;
      default:
        if (l.field >= 0) add(specs(l.frame)[static_cast<std::size_t>(l.field)].name);
    }
  }
  return p;
}

bool Reader::fail(std::string_view what) {
  if (!error_) {
    std::string where = path();
    if (where.empty()) where = root_ == Root::feed ? "the feed" : "the member";
    error_ = FeedError{Rejection::malformed, where + ": " + std::string(what)};
  }
  return false;
}

// A problem found once a member is complete: path() is the member's own.
bool Reader::fail_at(std::string_view field, std::string_view what, std::size_t index) {
  std::string where = path();
  where += (where.empty() ? "" : ".") + std::string(field);
  if (index != SIZE_MAX) where += "[" + std::to_string(index) + "]";
  if (!error_) error_ = FeedError{Rejection::malformed, where + ": " + std::string(what)};
  return false;
}

// An object or array where the current field wants something else.
bool Reader::nested(Level& top) {
  if (top.field < 0) {
    stack_.push_back({Frame::skip, -1, 0, 0, 1});
    return true;
  }
  return fail(type_error(specs(top.frame)[static_cast<std::size_t>(top.field)].type));
}

bool Reader::close_skip() {
  if (--stack_.back().depth == 0) stack_.pop_back();
  return true;
}

bool Reader::start_object(std::size_t) {
  if (stack_.empty()) {
    stack_.push_back({root_ == Root::feed ? Frame::feed : Frame::member});
    if (root_ == Root::member) begin_member();
    return true;
  }
  Level& top = stack_.back();
  switch (top.frame) {
    case Frame::skip: ++top.depth; return true;
    case Frame::texts: ++top.count; return fail("must be a string");
    case Frame::members:
      ++top.count;
      begin_member();
      stack_.push_back({Frame::member});
      return true;
    case Frame::member:
      if (top.field != kCertification) break;
      stack_.push_back({Frame::certification});
      return true;
    case Frame::feed:
      if (top.field != kRequirements) break;
      stack_.push_back({Frame::requirements});
      return true;
    default: break;
  }
  return nested(top);
}

bool Reader::end_object() {
  if (stack_.back().frame == Frame::skip) return close_skip();
  Level done = stack_.back();
  stack_.pop_back();
  if (done.frame == Frame::member) return finish_member(done.seen);
  if (done.frame == Frame::feed) return finish_feed(done.seen);
  if (done.frame == Frame::requirements) return finish_requirements(done.seen);
  return true;
}

bool Reader::start_array(std::size_t) {
  if (stack_.empty()) return fail("must be a JSON object");
  Level& top = stack_.back();
  switch (top.frame) {
    case Frame::skip: ++top.depth; return true;
    case Frame::texts: ++top.count; return fail("must be a string");
    case Frame::members: ++top.count; return fail("must be an object");
    case Frame::feed:
      if (top.field != kMembers) break;
      stack_.push_back({Frame::members});
      return true;
    case Frame::member: {
      static constexpr std::pair<int, std::vector<std::string> Member::*> kLists[] = {
          {kDomains, &Member::domains}, {kEndpoints, &Member::endpoints},
          {kCertificates, &Member::certificates}, {kCapabilities, &Member::capabilities}};
      for (auto [field, list] : kLists)
        if (top.field == field) {
          Level level{Frame::texts};
          level.texts = &(member().*list);
          stack_.push_back(level);
          return true;
        }
      break;
    }
    default: break;
  }
  return nested(top);
}

bool Reader::end_array() {
  if (stack_.back().frame == Frame::skip) return close_skip();
  stack_.pop_back();
  return true;
}

bool Reader::key(std::string& k) {
  Level& top = stack_.back();
  if (top.frame == Frame::skip) return true;
  auto list = specs(top.frame);
  auto it = std::find_if(list.begin(), list.end(), [&](const Spec& s) { return s.name == k; });
  top.field = it == list.end() ? -1 : static_cast<int>(it - list.begin());
  if (top.field < 0) return true;
  unsigned bit = 1u << top.field;
  if (top.seen & bit) return fail("given twice");
  top.seen |= bit;
  return true;
}

bool Reader::value(const Scalar& v) {
  if (stack_.empty()) return fail("must be a JSON object");
  Level& top = stack_.back();
  switch (top.frame) {
    case Frame::skip: return true;
    case Frame::members: ++top.count; return fail("must be an object");
    case Frame::texts:
      ++top.count;
      if (v.kind != Scalar::string) return fail("must be a string");
      top.texts->push_back(*v.text);
      return true;
    default: break;
  }
  if (top.field < 0) return true;  // an unknown field: ignored
  const Spec& spec = specs(top.frame)[static_cast<std::size_t>(top.field)];
  bool ok = (spec.type == Type::text && v.kind == Scalar::string) ||
            (spec.type == Type::flag && v.kind == Scalar::boolean) ||
            (spec.type == Type::count && v.kind == Scalar::unsigned_integer) ||
            (spec.type == Type::integer &&
             (v.kind == Scalar::integer ||
              (v.kind == Scalar::unsigned_integer &&
               v.unsigned_value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))));
  if (!ok) return fail(type_error(spec.type));
  if (top.frame == Frame::feed) return store_feed(top.field, v);
  if (top.frame == Frame::member) return store_member(top.field, v);
  if (top.frame == Frame::requirements) {
    Requirements& r = feed_.requirements;
    if (top.field == kReqGrace) r.grace_days = v.unsigned_value;
    else (top.field == kReqProfile ? r.profile : r.since) = *v.text;
    return true;
  }
  Certification& c = member().certification;
  (top.field == kProfile ? c.profile : top.field == kDate ? c.date : c.result) = *v.text;
  return true;
}

bool Reader::store_feed(int field, const Scalar& v) {
  switch (field) {
    case kFormat:
      if (*v.text != kFeedFormat)
        return fail("expected \"" + std::string(kFeedFormat) + "\", got \"" + v.text->substr(0, 64) + "\"");
      return true;
    case kSerial: feed_.serial = v.unsigned_value; return true;
    case kIssued:
      if (auto t = parse_iso_time(*v.text)) {
        feed_.issued = *t;
        return true;
      }
      return fail("not a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    default: feed_.authority = *v.text; return true;
  }
}

bool Reader::store_member(int field, const Scalar& v) {
  Member& m = member();
  switch (field) {
    case kId: m.id = *v.text; break;
    case kOrganisation: m.organisation = *v.text; break;
    case kSubdomains: m.include_subdomains = v.flag; break;
    case kJurisdiction: m.jurisdiction = *v.text; break;
    case kContact: m.admin_contact = *v.text; break;
    case kStatus: status_ = *v.text; break;
    case kTier: tier_ = *v.text; break;
    case kMarking: m.max_marking = *v.text; break;
    case kCreated:
    case kUpdated: {
      std::int64_t n = v.kind == Scalar::integer ? v.integer_value : static_cast<std::int64_t>(v.unsigned_value);
      if (n < 0) return fail("must not be negative");
      (field == kCreated ? m.created : m.updated) = n;
      break;
    }
  }
  return true;
}

// Every field's shape, in field order, once the member is complete.
bool Reader::check_shapes(Member& m) {
  if (m.id.empty()) return fail_at("id", "must not be empty");
  if (!is_member_id(m.id)) return fail_at("id", "not a member id ([a-z0-9][a-z0-9.-]*, at most 64)");
  if (m.domains.empty()) return fail_at("domains", "must list at least one domain");
  struct List {
    const char* name;
    const std::vector<std::string>& items;
    bool (*valid)(std::string_view);
    const char* what;
  };
  for (const List& list : {List{"domains", m.domains, is_domain, "not a lower-case host name"},
                           List{"endpoints", m.endpoints, is_endpoint, "not host:port"},
                           List{"certificates", m.certificates, is_certificate_pem, "not a PEM certificate"}})
    for (std::size_t i = 0; i < list.items.size(); ++i)
      if (!list.valid(list.items[i])) return fail_at(list.name, list.what, i);
  if (!is_jurisdiction(m.jurisdiction))
    return fail_at("jurisdiction", "not an ISO 3166-1 alpha-2 code (upper-case)");
  if (!m.admin_contact.empty() && !is_contact(m.admin_contact)) return fail_at("admin_contact", "not an address");
  if (auto s = parse_status(status_)) m.status = *s;
  else return fail_at("status", "must be \"active\" or \"suspended\"");
  if (auto t = parse_tier(tier_)) m.tier = *t;
  else return fail_at("tier", "must be \"member\" or \"trusted-partner\"");
  if (!m.certification.date.empty() && !is_iso_date(m.certification.date))
    return fail_at("certification.date", "not a date (YYYY-MM-DD)");
  if (m.status == Status::active && m.certificates.empty())
    return fail_at("certificates", "an active member needs at least one certificate");
  return true;
}

bool Reader::finish_member(unsigned seen) {
  for (std::size_t i = 0; i < std::size(kMemberSpec); ++i)
    if (kMemberSpec[i].required && !(seen & (1u << i))) return fail_at(kMemberSpec[i].name, "missing");
  Member& m = member();
  if (!check_shapes(m)) return false;
  if (m.admin_contact.empty()) m.admin_contact = "securemailadmin@" + m.domains.front();
  return true;
}

bool Reader::finish_feed(unsigned seen) {
  for (std::size_t i = 0; i < std::size(kFeedSpec); ++i)
    if (kFeedSpec[i].required && !(seen & (1u << i))) return fail_at(kFeedSpec[i].name, "missing");
  return true;
}

// "requirements": a MAJOR.MINOR profile and a date, both given.
bool Reader::finish_requirements(unsigned seen) {
  for (std::size_t i = 0; i < std::size(kRequirementsSpec); ++i)
    if (kRequirementsSpec[i].required && !(seen & (1u << i)))
      return fail_at(kRequirementsSpec[i].name, "missing");  // path() ends in "requirements"
  const Requirements& r = feed_.requirements;
  auto dot = r.profile.find('.');
  bool digits = dot != std::string::npos && dot > 0 && dot + 1 < r.profile.size() && r.profile.size() <= 9 &&
                std::all_of(r.profile.begin(), r.profile.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); }) &&
                r.profile.find('.', dot + 1) == std::string::npos;
  if (!digits) return fail_at("profile", "not a profile version (MAJOR.MINOR)");
  if (!is_iso_date(r.since)) return fail_at("since", "not a date (YYYY-MM-DD)");
  return true;
}

FeedResult<Feed> read(std::string_view text, Reader::Root root) {
  if (text.size() > kMaxFeedBytes)
    return malformed("the text is larger than " + std::to_string(kMaxFeedBytes) + " bytes");
  Reader reader(root);
  try {
    Json::sax_parse(text.data(), text.data() + text.size(), &reader);
  } catch (const std::exception& e) {  // out of memory, or a parser surprise: still only a refusal
    if (!reader.error()) reader.error() = FeedError{Rejection::malformed, std::string("not JSON: ") + e.what()};
  }
  if (auto& error = reader.error()) return std::unexpected(std::move(*error));
  return std::move(reader.feed());
}

}  // namespace

std::unexpected<FeedError> malformed(std::string detail) {
  return std::unexpected(FeedError{Rejection::malformed, std::move(detail)});
}

FeedResult<Feed> feed_from_text(std::string_view text) {
  auto feed = read(text, Reader::Root::feed);
  auto by_id = [](const Member& a, const Member& b) { return a.id < b.id; };
  if (feed && !std::is_sorted(feed->members.begin(), feed->members.end(), by_id))  // canonical: sorted
    std::stable_sort(feed->members.begin(), feed->members.end(), by_id);
  return feed;
}

FeedResult<Member> member_from_text(std::string_view text) {
  auto feed = read(text, Reader::Root::member);
  if (!feed) return std::unexpected(std::move(feed.error()));
  return std::move(feed->members.front());
}

}  // namespace sm::directory::detail
