; C#: classes, records, structs, interfaces, enums, methods, constructors, local functions, namespaces.

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(struct_declaration name: (identifier) @name) @definition.struct
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(namespace_declaration name: (_) @name) @definition.module

(method_declaration
  name: (identifier) @name
  parameters: (parameter_list) @params) @definition.method

(constructor_declaration
  name: (identifier) @name
  parameters: (parameter_list) @params) @definition.method

(local_function_statement
  name: (identifier) @name
  parameters: (parameter_list) @params) @definition.function

(parameter_list (parameter name: (identifier) @param))

(using_directive [(qualified_name) (identifier)] @import)
(parameter_list (identifier) @param)
