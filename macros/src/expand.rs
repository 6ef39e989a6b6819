//! The expansion, over `proc_macro2` tokens so unit tests can run it outside
//! a compiler (the `proc_macro` API only works inside one).

use proc_macro2::{Ident, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{braced, parenthesized, token, Abi, Attribute, Expr, Generics, LitStr, Path};
use syn::{ReturnType, Token, Visibility};

/// Which attribute is being expanded; it names itself in error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    Main,
    Test,
}

impl Entry {
    fn attribute(self) -> &'static str {
        match self {
            Entry::Main => "#[aio::main]",
            Entry::Test => "#[aio::test]",
        }
    }
}

/// The attribute's arguments: `crate = "path"`, `blocking_shutdown_timeout = <expr>`.
#[derive(Default)]
struct Options {
    crate_path: Option<Path>,
    blocking_shutdown_timeout: Option<Expr>,
}

/// A function as far as the attributes need to see it: the signature's
/// parts, and the body as opaque tokens that rustc checks after expansion.
/// Parsing this much by hand keeps syn to the features aio's other
/// dependencies already enable ("full", for `syn::ItemFn`, would make every
/// aio build compile a larger syn).
struct Function {
    attrs: Vec<Attribute>,
    vis: Visibility,
    constness: Option<Token![const]>,
    asyncness: Option<Token![async]>,
    unsafety: Option<Token![unsafe]>,
    abi: Option<Abi>,
    fn_token: Token![fn],
    ident: Ident,
    /// With the where clause.
    generics: Generics,
    paren: token::Paren,
    params: TokenStream,
    output: ReturnType,
    brace: token::Brace,
    /// `#![...]` at the top of the body.
    inner_attrs: Vec<Attribute>,
    statements: TokenStream,
}

impl Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Function> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let constness = input.parse()?;
        let asyncness = input.parse()?;
        let unsafety = input.parse()?;
        let abi = input.parse()?;
        let fn_token = input.parse()?;
        let ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        let params_input;
        let paren = parenthesized!(params_input in input);
        let params = params_input.parse()?;
        let output = input.parse()?;
        generics.where_clause = input.parse()?;
        let body;
        let brace = braced!(body in input);
        let inner_attrs = body.call(Attribute::parse_inner)?;
        let statements = body.parse()?;
        Ok(Function {
            attrs,
            vis,
            constness,
            asyncness,
            unsafety,
            abi,
            fn_token,
            ident,
            generics,
            paren,
            params,
            output,
            brace,
            inner_attrs,
            statements,
        })
    }
}

/// The expansion, or the first problem as a `compile_error!` at the
/// offending tokens.
pub(crate) fn expand(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(entry, args, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(fallback(item));
            tokens
        }
    }
}

pub(crate) fn try_expand(
    entry: Entry,
    args: TokenStream,
    item: TokenStream,
) -> syn::Result<TokenStream> {
    let options = parse_options(entry, args)?;
    let function: Function = syn::parse2(item).map_err(|error| {
        // syn would say "expected `fn`"; say what the attribute is for.
        syn::Error::new(
            error.span(),
            format!("{} goes on an `async fn`", entry.attribute()),
        )
    })?;
    check_signature(entry, &function)?;
    Ok(generate(entry == Entry::Test, &options, function))
}

/// What goes beside a `compile_error!`, so that the refused function still
/// exists: without it a refused `main` adds "`main` function not found", and
/// every caller of a refused function an error of its own. A synchronous
/// function stays as written; an async one is expanded as if the attribute
/// had no arguments, without `#[test]` (a test with parameters would add
/// an error of its own).
fn fallback(item: TokenStream) -> TokenStream {
    match syn::parse2::<Function>(item.clone()) {
        Ok(function) if function.asyncness.is_none() => item,
        Ok(function) => generate(false, &Options::default(), function),
        Err(_) => TokenStream::new(),
    }
}

fn generate(add_test_attribute: bool, options: &Options, function: Function) -> TokenStream {
    let Function {
        attrs,
        vis,
        constness,
        asyncness: _,
        unsafety,
        abi,
        fn_token,
        ident,
        generics,
        paren,
        params,
        output,
        brace,
        inner_attrs,
        statements,
    } = function;
    let where_clause = &generics.where_clause;
    let mut signature = quote!(#vis #constness #unsafety #abi #fn_token #ident #generics);
    paren.surround(&mut signature, |tokens| params.to_tokens(tokens));
    signature.extend(quote!(#output #where_clause));
    let mut body = TokenStream::new();
    brace.surround(&mut body, |tokens| statements.to_tokens(tokens));

    let crate_path = match &options.crate_path {
        Some(path) => path.into_token_stream(),
        None => quote!(::aio),
    };
    let run = match &options.blocking_shutdown_timeout {
        Some(timeout) => {
            quote!(#crate_path::Runner::new().blocking_shutdown_timeout(#timeout).run)
        }
        None => quote!(#crate_path::run),
    };
    // The full path: a `use aio::test;` in the user's module must not turn
    // this `#[test]` back into ours.
    let test_attribute = if add_test_attribute {
        quote!(#[::core::prelude::v1::test])
    } else {
        TokenStream::new()
    };
    quote! {
        #test_attribute
        #(#attrs)*
        #signature {
            #(#inner_attrs)*
            #run(async move #body)
        }
    }
}

fn parse_options(entry: Entry, args: TokenStream) -> syn::Result<Options> {
    let mut options = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            if options.crate_path.is_some() {
                return Err(meta.error("`crate` is given twice"));
            }
            let path: LitStr = meta.value()?.parse()?;
            options.crate_path = Some(path.parse()?);
            Ok(())
        } else if meta.path.is_ident("blocking_shutdown_timeout") {
            if options.blocking_shutdown_timeout.is_some() {
                return Err(meta.error("`blocking_shutdown_timeout` is given twice"));
            }
            options.blocking_shutdown_timeout = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error(format!(
                "unknown {} argument `{}`; expected `crate = \"path\"` or \
                 `blocking_shutdown_timeout = <Duration>`",
                entry.attribute(),
                meta.path.to_token_stream(),
            )))
        }
    });
    parser.parse2(args)?;
    Ok(options)
}

/// Refuse, with the span of the offending part, what `aio::run(async move
/// { body })` inside the same signature cannot express.
fn check_signature(entry: Entry, function: &Function) -> syn::Result<()> {
    let attribute = entry.attribute();
    if function.asyncness.is_none() {
        let (fn_token, name) = (&function.fn_token, &function.ident);
        return Err(syn::Error::new_spanned(
            quote!(#fn_token #name),
            format!("the {attribute} function must be async"),
        ));
    }
    if !function.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &function.params,
            format!("the {attribute} function takes no arguments"),
        ));
    }
    let generics = &function.generics;
    if !generics.params.is_empty() || generics.where_clause.is_some() {
        let where_clause = &generics.where_clause;
        return Err(syn::Error::new_spanned(
            quote!(#generics #where_clause),
            format!("the {attribute} function cannot be generic"),
        ));
    }
    if entry == Entry::Test {
        let mut attrs = function.attrs.iter();
        if let Some(test) = attrs.find(|attr| attr.path().is_ident("test")) {
            return Err(syn::Error::new_spanned(
                test,
                "#[aio::test] adds #[test] itself; remove this one",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(entry: Entry, args: TokenStream, item: TokenStream) -> String {
        try_expand(entry, args, item)
            .unwrap_or_else(|e| panic!("expansion failed: {e}"))
            .to_string()
    }

    fn refusal(entry: Entry, args: TokenStream, item: TokenStream) -> String {
        match try_expand(entry, args, item) {
            Ok(tokens) => panic!("expected a refusal, got `{tokens}`"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn main_becomes_a_plain_fn_that_runs_its_body_on_aio() {
        let output = expanded(
            Entry::Main,
            quote!(),
            quote! {
                /// Docs stay.
                #[allow(unused)]
                pub async fn main() -> Result<(), Error> {
                    let n = work().await?;
                    Ok(())
                }
            },
        );
        let expected = quote! {
            /// Docs stay.
            #[allow(unused)]
            pub fn main() -> Result<(), Error> {
                ::aio::run(async move {
                    let n = work().await?;
                    Ok(())
                })
            }
        };
        assert_eq!(output, expected.to_string());
    }

    #[test]
    fn test_adds_the_test_attribute_and_keeps_the_others() {
        let output = expanded(
            Entry::Test,
            quote!(),
            quote! {
                #[should_panic(expected = "boom")]
                #[ignore = "slow"]
                async fn explodes() {
                    panic!("boom");
                }
            },
        );
        let expected = quote! {
            #[::core::prelude::v1::test]
            #[should_panic(expected = "boom")]
            #[ignore = "slow"]
            fn explodes() {
                ::aio::run(async move {
                    panic!("boom");
                })
            }
        };
        assert_eq!(output, expected.to_string());
    }

    #[test]
    fn inner_attributes_stay_inside_the_function() {
        let output = expanded(
            Entry::Main,
            quote!(),
            quote! {
                async fn main() {
                    #![allow(unused_variables)]
                    let x = 1;
                }
            },
        );
        let expected = quote! {
            fn main() {
                #![allow(unused_variables)]
                ::aio::run(async move {
                    let x = 1;
                })
            }
        };
        assert_eq!(output, expected.to_string());
    }

    #[test]
    fn the_rest_of_the_signature_stays() {
        let output = expanded(
            Entry::Main,
            quote!(),
            quote! {
                pub(crate) async unsafe fn helper() -> u8 {
                    1
                }
            },
        );
        let expected = quote! {
            pub(crate) unsafe fn helper() -> u8 {
                ::aio::run(async move {
                    1
                })
            }
        };
        assert_eq!(output, expected.to_string());
    }

    #[test]
    fn arguments_pick_the_crate_path_and_a_runner_option() {
        let output = expanded(
            Entry::Test,
            quote!(
                crate = "my_aio",
                blocking_shutdown_timeout = Duration::from_secs(5)
            ),
            quote!(
                async fn t() {}
            ),
        );
        let expected = quote! {
            #[::core::prelude::v1::test]
            fn t() {
                my_aio::Runner::new().blocking_shutdown_timeout(Duration::from_secs(5)).run(async move {})
            }
        };
        assert_eq!(output, expected.to_string());
    }

    #[test]
    fn a_function_that_is_not_async_is_refused() {
        for entry in [Entry::Main, Entry::Test] {
            let message = refusal(
                entry,
                quote!(),
                quote!(
                    fn main() {}
                ),
            );
            assert_eq!(
                message,
                format!("the {} function must be async", entry.attribute())
            );
        }
    }

    #[test]
    fn a_function_with_parameters_is_refused() {
        let message = refusal(
            Entry::Main,
            quote!(),
            quote!(
                async fn main(args: Vec<String>) {}
            ),
        );
        assert_eq!(message, "the #[aio::main] function takes no arguments");
        let message = refusal(
            Entry::Test,
            quote!(),
            quote!(
                async fn t(x: u32) {}
            ),
        );
        assert_eq!(message, "the #[aio::test] function takes no arguments");
    }

    #[test]
    fn a_generic_function_is_refused() {
        let message = refusal(
            Entry::Main,
            quote!(),
            quote!(
                async fn main<T>() {}
            ),
        );
        assert_eq!(message, "the #[aio::main] function cannot be generic");
    }

    #[test]
    fn an_unknown_argument_is_refused() {
        let message = refusal(
            Entry::Main,
            quote!(flavor = "multi_thread"),
            quote!(
                async fn main() {}
            ),
        );
        assert_eq!(
            message,
            "unknown #[aio::main] argument `flavor`; expected `crate = \"path\"` or \
             `blocking_shutdown_timeout = <Duration>`"
        );
        let message = refusal(
            Entry::Test,
            quote!(debug),
            quote!(
                async fn t() {}
            ),
        );
        assert!(
            message.starts_with("unknown #[aio::test] argument `debug`;"),
            "{message}"
        );
    }

    #[test]
    fn an_argument_given_twice_is_refused() {
        let message = refusal(
            Entry::Main,
            quote!(crate = "a", crate = "b"),
            quote!(
                async fn main() {}
            ),
        );
        assert_eq!(message, "`crate` is given twice");
    }

    #[test]
    fn something_other_than_a_function_is_refused() {
        let message = refusal(
            Entry::Main,
            quote!(),
            quote!(
                struct Main;
            ),
        );
        assert_eq!(message, "#[aio::main] goes on an `async fn`");
    }

    #[test]
    fn a_second_test_attribute_is_refused() {
        let message = refusal(
            Entry::Test,
            quote!(),
            quote! {
                #[test]
                async fn t() {}
            },
        );
        assert_eq!(message, "#[aio::test] adds #[test] itself; remove this one");
    }

    #[test]
    fn a_refused_sync_function_stays_beside_the_compile_error() {
        let item = quote!(
            fn main() {}
        );
        let output = expand(Entry::Main, quote!(), item.clone()).to_string();
        let mut expected = syn::Error::new(
            proc_macro2::Span::call_site(),
            "the #[aio::main] function must be async",
        )
        .into_compile_error();
        expected.extend(item);
        assert_eq!(output, expected.to_string());
    }

    #[test]
    fn a_refused_async_function_is_expanded_without_arguments_beside_the_compile_error() {
        let output = expand(
            Entry::Test,
            quote!(debug),
            quote!(
                async fn t() {
                    work().await;
                }
            ),
        )
        .to_string();
        assert!(output.contains("compile_error"), "{output}");
        assert!(
            output.contains("unknown #[aio::test] argument `debug`"),
            "{output}"
        );
        let plain = quote! {
            fn t() {
                ::aio::run(async move {
                    work().await;
                })
            }
        };
        assert!(output.ends_with(&plain.to_string()), "{output}");
    }
}
