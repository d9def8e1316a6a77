// Package iam evaluates AWS IAM identity-based policy documents the way IAM
// does for a single account: explicit deny wins, then any allow, else the
// request is implicitly denied. It is pure logic with no I/O; the API server
// parses a principal's policies once ([ParsePolicy]) and calls [Evaluate] per
// request.
//
// # Grammar
//
// A document has an optional Version ("2012-10-17" or "2008-10-17"; missing
// means 2008-10-17), an optional Id and a Statement that is one object or an
// array. A statement has an optional Sid (unique within the document), Effect
// (Allow or Deny), exactly one of Action/NotAction, exactly one of
// Resource/NotResource and an optional Condition. Principal and NotPrincipal
// belong to resource-based policies and are rejected, as is any unknown key.
// Documents over [MaxDocumentSize] bytes or [MaxStatements] statements are
// rejected so a hostile document cannot make parsing or evaluation expensive.
//
// # Semantics chosen (each follows the IAM User Guide pages named)
//
//   - Actions match case-insensitively with * and ? ("IAM JSON policy
//     elements: Action").
//   - Resources match case-sensitively; * and ? stay within one
//     colon-separated ARN segment, except that a * ending a segment, or any
//     wildcard in the sixth (resource) segment, may run across colons
//     ("IAM JSON policy elements: Resource", wildcards in resource ARNs).
//   - ArnEquals/ArnLike (identical, as in the operator table) compare the
//     six colon-separated components separately; a value with fewer than six
//     components never matches.
//   - Policy variables are substituted only for Version 2012-10-17, in
//     Resource/NotResource and in String, Arn and Bool condition values
//     ("policy variables": Numeric, Date, Binary and IP operators do not take
//     variables). Only a single-valued context key substitutes; a missing or
//     multivalued key uses the ${key, 'default'} default when present, and
//     otherwise that one pattern does not match (so a NotResource entry with
//     an unresolved variable excludes nothing). Substituted text is literal:
//     a * in a tag value is not a wildcard. ${*}, ${?} and ${$} are literal
//     characters. Malformed ${...} syntax is a parse error.
//   - A condition block ANDs its operators and keys; a key's policy values
//     are ORed for positive operators and NORed for negated ones
//     (StringNotEquals, NumericNotEquals, DateNotEquals, NotIpAddress,
//     ArnNotEquals, ArnNotLike, StringNot...IgnoreCase, StringNotLike):
//     a negated operator is exactly the negation of its positive form.
//   - A key missing from the request context makes a positive operator false
//     and a negated operator true ("condition operators", the note on keys
//     absent from the request context); ...IfExists makes it true.
//   - Null "true" holds when the key is absent, "false" when present (an
//     empty value list counts as present). Null takes no IfExists and no set
//     prefix.
//   - ForAllValues: true when the key is missing or has no values, else every
//     request value must satisfy the operator. ForAnyValue: false when the key
//     is missing or empty, else some request value must satisfy it
//     ("single-valued vs. multivalued context keys"). For a negated operator
//     "satisfy" means matching none of the policy values.
//   - Without a set prefix a multivalued request key behaves like ForAnyValue
//     for positive operators (any request value matching any policy value)
//     and, since negated operators are the negation of the positive one, a
//     negated operator holds only if no request value matches any policy
//     value. An empty value list matches nothing.
//   - Request values that do not parse for the operator (a non-number for
//     Numeric, a non-date, non-IP, bad base64) match no policy value.
//   - Dates are RFC 3339 (with or without fractional seconds), a bare date
//     (2006-01-02) or integer epoch seconds.
//   - Condition keys and variable names are case-insensitive; values compare
//     per operator (StringEquals case-sensitive, ...IgnoreCase and Bool not).
package iam
