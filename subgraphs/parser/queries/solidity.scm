; Solidity: contracts, interfaces, libraries, structs, enums, functions, constructors, modifiers, imports.

(contract_declaration name: (identifier) @name) @definition.class
(library_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(struct_declaration name: (identifier) @name) @definition.struct
(enum_declaration name: (identifier) @name) @definition.enum

(function_definition name: (identifier) @name) @definition.function @params
(constructor_definition "constructor" @name) @definition.method @params
(modifier_definition name: (identifier) @name) @definition.method @params

(function_definition (parameter name: (identifier) @param))
(constructor_definition (parameter name: (identifier) @param))
(modifier_definition (parameter name: (identifier) @param))

(import_directive source: (string) @import)
