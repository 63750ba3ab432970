// store_file.h - what the pickup ledger and the recipients' accounts share
// about their SQLite files: opening one private (its folder 0700, the file
// 0600, migrated), and reading rows with ?1 bound to a text and ?2 to a
// number where the SQL names them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.h"

namespace sm::pickup {

inline Result<store::Database> open_store_file(const std::filesystem::path& file,
                                               std::span<const std::string_view> migrations) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all, ec);
  return store::Database::open_private(file, migrations);
}

template <class Row>
std::vector<Row> select_rows(store::Database& db, const std::string& sql, const std::string& text, std::int64_t number,
                             Row (*row)(const store::Statement&)) {
  std::vector<Row> out;
  auto s = db.prepare(sql);
  if (!s) return out;
  if (sql.find("?1") != std::string::npos) s->bind(1, text);
  if (sql.find("?2") != std::string::npos) s->bind(2, number);
  while (true) {
    auto more = s->step();
    if (!more || !*more) break;
    out.push_back(row(*s));
  }
  return out;
}

}  // namespace sm::pickup
