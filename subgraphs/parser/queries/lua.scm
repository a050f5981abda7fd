; Lua: functions (`function M.f`, `function T:m` are qualified by the table), function-valued locals, require.

(function_declaration
  name: (identifier) @name
  parameters: (parameters) @params) @definition.function

(function_declaration
  name: (dot_index_expression table: (_) @receiver field: (identifier) @name)
  parameters: (parameters) @params) @definition.function

(function_declaration
  name: (method_index_expression table: (_) @receiver method: (identifier) @name)
  parameters: (parameters) @params) @definition.function

; local f = function (x) ... end
(assignment_statement
  (variable_list . name: (identifier) @name)
  (expression_list . value: (function_definition parameters: (parameters) @params))) @definition.function

(parameters name: (identifier) @param)
(parameters (vararg_expression) @param)

((function_call
   name: (identifier) @_require
   arguments: [
     (arguments . (string content: (string_content) @import))
     (string content: (string_content) @import)
   ])
 (#eq? @_require "require"))
