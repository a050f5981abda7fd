; Perl: subs (qualified by the `package` in effect), use / require.

(subroutine_declaration_statement name: (bareword) @name) @definition.function
(package_statement name: (package) @name) @namespace
(package_statement name: (package) @name (block)) @definition.module

(use_statement module: (package) @import)
(require_expression (bareword) @import)
