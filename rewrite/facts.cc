#include "rewrite/facts.h"

namespace blueshift::rewrite {

const char* to_string(StatementKind kind) {
  switch (kind) {
    case StatementKind::Select: return "Select";
    case StatementKind::Insert: return "Insert";
    case StatementKind::Update: return "Update";
    case StatementKind::Delete: return "Delete";
    case StatementKind::Merge: return "Merge";
    case StatementKind::Copy: return "Copy";
    case StatementKind::Unload: return "Unload";
    case StatementKind::CreateTableAs: return "CreateTableAs";
    case StatementKind::CreateTable: return "CreateTable";
    case StatementKind::CreateExternal: return "CreateExternal";
    case StatementKind::Drop: return "Drop";
    case StatementKind::Truncate: return "Truncate";
    case StatementKind::Alter: return "Alter";
    case StatementKind::OtherDdl: return "OtherDdl";
    case StatementKind::Explain: return "Explain";
    case StatementKind::Transaction: return "Transaction";
    case StatementKind::Set: return "Set";
    case StatementKind::Show: return "Show";
    case StatementKind::Utility: return "Utility";
    case StatementKind::Other: return "Other";
    case StatementKind::Unparsed: return "Unparsed";
  }
  return "Other";
}

}  // namespace blueshift::rewrite
