; Elixir: def / defp / defmacro (with or without guards), defmodule / defprotocol, import / alias / require / use.

((call
   target: (identifier) @_keyword
   (arguments
     [
       (call target: (identifier) @name (arguments) @params)
       (identifier) @name
       (binary_operator left: (call target: (identifier) @name (arguments) @params))
       (binary_operator left: (identifier) @name)
     ])) @definition.function
 (#any-of? @_keyword "def" "defp" "defmacro" "defmacrop" "defguard" "defguardp" "defdelegate"))

((call target: (identifier) @_keyword (arguments . (alias) @name)) @definition.module
 (#eq? @_keyword "defmodule"))

((call target: (identifier) @_keyword (arguments . (alias) @name)) @definition.interface
 (#eq? @_keyword "defprotocol"))

(arguments (identifier) @param)
(arguments (binary_operator left: (identifier) @param operator: "\\\\"))

((call target: (identifier) @_keyword (arguments . (alias) @import))
 (#any-of? @_keyword "import" "alias" "require" "use"))
