; Go: functions, methods (qualified by receiver type), struct / interface types, imports.

(function_declaration
  name: (identifier) @name
  parameters: (parameter_list) @params) @definition.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @receiver
        (pointer_type (type_identifier) @receiver)
        (generic_type type: (type_identifier) @receiver)
        (pointer_type (generic_type type: (type_identifier) @receiver))
      ]))
  name: (field_identifier) @name
  parameters: (parameter_list) @params) @definition.method

; helper := func(a int) int {...}
(short_var_declaration
  left: (expression_list . (identifier) @name)
  right: (expression_list . (func_literal parameters: (parameter_list) @params))) @definition.function

(type_spec
  name: (type_identifier) @name
  type: (struct_type)) @definition.struct

(type_spec
  name: (type_identifier) @name
  type: (interface_type)) @definition.interface

(method_elem
  name: (field_identifier) @name
  parameters: (parameter_list) @params) @definition.method

(parameter_list (parameter_declaration name: (identifier) @param))
(parameter_list (variadic_parameter_declaration name: (identifier) @param))

(import_spec path: (_) @import)
