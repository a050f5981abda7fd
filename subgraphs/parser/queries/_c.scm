; Shared C / C++ patterns: function definitions (not prototypes), structs, unions, enums, typedef'd structs, #include.

(function_definition
  declarator: (function_declarator
    declarator: (identifier) @name
    parameters: (parameter_list) @params)) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (identifier) @name
      parameters: (parameter_list) @params))) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name
        parameters: (parameter_list) @params)))) @definition.function

(struct_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)) @definition.struct

(union_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)) @definition.struct

(enum_specifier
  name: (type_identifier) @name
  body: (enumerator_list)) @definition.enum

; typedef struct { ... } name;
(type_definition
  type: (struct_specifier !name body: (field_declaration_list))
  declarator: (type_identifier) @name) @definition.struct

(type_definition
  type: (enum_specifier !name body: (enumerator_list))
  declarator: (type_identifier) @name) @definition.enum

(parameter_declaration declarator: (identifier) @param)
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @param))
(parameter_declaration declarator: (pointer_declarator declarator: (pointer_declarator declarator: (identifier) @param)))
(parameter_declaration declarator: (array_declarator declarator: (identifier) @param))

(preproc_include path: (_) @import)
