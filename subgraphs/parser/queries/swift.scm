; Swift: classes, structs, enums, actors, protocols, extensions (as scopes), funcs, inits, imports.

(class_declaration declaration_kind: "class" name: (type_identifier) @name) @definition.class
(class_declaration declaration_kind: "actor" name: (type_identifier) @name) @definition.class
(class_declaration declaration_kind: "struct" name: (type_identifier) @name) @definition.struct
(class_declaration declaration_kind: "enum" name: (type_identifier) @name) @definition.enum
(class_declaration declaration_kind: "extension" name: (user_type (type_identifier) @name)) @scope
(protocol_declaration name: (type_identifier) @name) @definition.interface

; parameters are direct children of the declaration, so it is its own @params node
(function_declaration name: (simple_identifier) @name) @definition.function @params
(protocol_function_declaration name: (simple_identifier) @name) @definition.method @params
(init_declaration "init" @name) @definition.method @params
(deinit_declaration "deinit" @name) @definition.method

; the internal name: `to other: Point` -> "other"
(function_declaration (parameter name: (simple_identifier) @param))
(protocol_function_declaration (parameter name: (simple_identifier) @param))
(init_declaration (parameter name: (simple_identifier) @param))

(import_declaration (identifier) @import)
