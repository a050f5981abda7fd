; Bash: functions (`f() {...}` and `function f {...}`), `source` / `.` targets.

(function_definition name: (word) @name) @definition.function

((command
   name: (command_name (word) @_command)
   argument: [(word) (string (string_content)) (raw_string)] @import)
 (#any-of? @_command "source" "."))
