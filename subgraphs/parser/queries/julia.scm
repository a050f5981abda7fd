; Julia: functions (long and short form), structs, abstract types, modules, using / import.

(function_definition
  (signature (call_expression . (identifier) @name (argument_list) @params))) @definition.function

(function_definition
  (signature (call_expression . (field_expression (identifier) @name .) (argument_list) @params))) @definition.function

(function_definition
  (signature (typed_expression (call_expression . (identifier) @name (argument_list) @params)))) @definition.function

(function_definition
  (signature (where_expression . (call_expression . (identifier) @name (argument_list) @params)))) @definition.function

; add(a, b) = a + b
(assignment
  . (call_expression . (identifier) @name (argument_list) @params)) @definition.function

(struct_definition (type_head [(identifier) @name (parametrized_type_expression . (identifier) @name) (binary_expression . (identifier) @name)])) @definition.struct
(abstract_definition (type_head [(identifier) @name (binary_expression . (identifier) @name)])) @definition.interface
(module_definition name: (identifier) @name) @definition.module

(argument_list (identifier) @param)
(argument_list (typed_expression . (identifier) @param))
(argument_list (splat_expression) @param)
(argument_list (assignment . (identifier) @param))

(using_statement (identifier) @import)
(using_statement (selected_import . (_) @import))
(import_statement (identifier) @import)
(import_statement (selected_import . (_) @import))
(using_statement (import_path) @import)
(import_statement (import_path) @import)
(using_statement (selected_import . (import_path) @import))
(import_statement (selected_import . (import_path) @import))

; f(x::Int)::Int = x
(assignment
  . (typed_expression . (call_expression . (identifier) @name (argument_list) @params))) @definition.function
