; Rust: fns, impl methods (qualified by the impl's type), structs, enums, unions, traits, modules.

(function_item
  name: (identifier) @name
  parameters: (parameters) @params) @definition.function

(function_signature_item
  name: (identifier) @name
  parameters: (parameters) @params) @definition.function

(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(mod_item name: (identifier) @name) @definition.module

(impl_item
  type: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
    (scoped_type_identifier name: (type_identifier) @name)
  ]) @scope

(parameters (self_parameter (self) @param))
(parameters (parameter pattern: (identifier) @param))
(parameters (parameter pattern: (mut_pattern (identifier) @param)))
(parameters (parameter pattern: [(tuple_pattern) (struct_pattern) (tuple_struct_pattern) (reference_pattern) (slice_pattern)] @param))

(use_declaration
  argument: [(scoped_identifier) (identifier) (scoped_use_list) (use_wildcard) (use_list) (crate) (self) (super)] @import)
(use_declaration argument: (use_as_clause path: (_) @import))
(extern_crate_declaration name: (identifier) @import)
