; Erlang: functions (clauses of one function merge), -include / -include_lib / -import.

(fun_decl
  clause: (function_clause name: (atom) @name args: (expr_args) @params)) @definition.function

(expr_args args: (_) @param)

(pp_include file: (string) @import)
(pp_include_lib file: (string) @import)
(import_attribute module: (atom) @import)
