import type { TaskGenerator } from "./framework.js";
import { bracketBrace } from "./tasks/bracket_brace.js";
import { bracketCounting } from "./tasks/bracket_counting.js";
import { classInit } from "./tasks/class_init.js";
import { elseElif } from "./tasks/else_elif.js";
import { enumerateRange } from "./tasks/enumerate_range.js";
import { finalKwarg } from "./tasks/final_kwarg.js";
import { forWhile } from "./tasks/for_while.js";
import { ifEquals } from "./tasks/if_equals.js";
import { ifTernary } from "./tasks/if_ternary.js";
import { indentFor } from "./tasks/indent_for.js";
import { lambdaFunc } from "./tasks/lambda_func.js";
import { setOrString, setOrStringFixedVarname } from "./tasks/set_or_string.js";
import { singleDoubleQuote } from "./tasks/single_double_quote.js";
import { varIf } from "./tasks/var_if.js";
import { varSwap } from "./tasks/var_swap.js";
import { whileReturnTrue } from "./tasks/while_return_true.js";
import { withAs } from "./tasks/with_as.js";
import { withOpen } from "./tasks/with_open.js";

/** The built-in generators, in the paper's table order (spec F), by name. */
export const TASK_GENERATORS: Readonly<Record<string, TaskGenerator>> = Object.fromEntries(
  [
    singleDoubleQuote,
    finalKwarg,
    setOrString,
    setOrStringFixedVarname,
    classInit,
    withAs,
    bracketBrace,
    withOpen,
    bracketCounting,
    forWhile,
    elseElif,
    ifTernary,
    varSwap,
    indentFor,
    lambdaFunc,
    ifEquals,
    enumerateRange,
    varIf,
    whileReturnTrue,
  ].map((g) => [g.name, g]),
);
