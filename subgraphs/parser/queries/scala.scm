; Scala: classes, objects, traits, enums, defs (with or without body), imports.

(class_definition name: (identifier) @name) @definition.class
(object_definition name: (identifier) @name) @definition.class
(trait_definition name: (identifier) @name) @definition.trait
(enum_definition name: (identifier) @name) @definition.enum

(function_definition name: (identifier) @name parameters: (parameters) @params) @definition.function
(function_definition name: (identifier) @name !parameters) @definition.function
(function_declaration name: (identifier) @name parameters: (parameters) @params) @definition.function
(function_declaration name: (identifier) @name !parameters) @definition.function

(parameters (parameter name: (identifier) @param))

(import_declaration) @import
