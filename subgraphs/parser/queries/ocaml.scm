; OCaml: let-bound functions, modules, module types, classes, methods, variant / record types, open.

(let_binding pattern: (value_name) @name (parameter)) @definition.function @params
(let_binding pattern: (value_name) @name body: (function_expression)) @definition.function
(let_binding pattern: (value_name) @name body: (fun_expression)) @definition.function

(module_binding (module_name) @name) @definition.module
(module_type_definition (module_type_name) @name) @definition.interface
(class_binding (class_name) @name) @definition.class
(method_definition (method_name) @name) @definition.method @params

(type_binding name: (type_constructor) @name body: (variant_declaration)) @definition.enum
(type_binding name: (type_constructor) @name body: (record_declaration)) @definition.struct

(let_binding (parameter) @param)
(method_definition (parameter) @param)

(open_module module: (module_path) @import)
