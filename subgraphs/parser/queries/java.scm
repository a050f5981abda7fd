; Java: classes, records, interfaces, annotation types, enums, methods, constructors, imports.

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum

(method_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @params) @definition.method

(constructor_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @params) @definition.method

(compact_constructor_declaration
  name: (identifier) @name) @definition.method

(formal_parameters (formal_parameter name: (identifier) @param))
(formal_parameters (spread_parameter (variable_declarator name: (identifier) @param)))
(formal_parameters (receiver_parameter) @param)

; `import a.b.C;` -> "a.b.C"; `import a.b.*;` -> "a.b"
(import_declaration [(scoped_identifier) (identifier)] @import)
