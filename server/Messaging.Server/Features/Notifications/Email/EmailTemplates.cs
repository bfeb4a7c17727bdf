using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Messaging.Server.Features.Notifications.Email;

/// <summary>
/// The emails the server sends, in French (the default, and for unknown languages) or English. They are generic on
/// purpose: no message content, no diagnosis, and no practitioner, practice or patient name. None of the methods
/// takes one, so none can leak one. Links are built by the caller and must be absolute http(s) URLs.
/// </summary>
internal static class EmailTemplates
{
    public const int DefaultCodeValidityMinutes = 10;

    // Encodes what HTML needs encoded (&lt; &amp; quotes…) but leaves accented letters readable.
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    public static OutgoingEmail SignInCode(string to, string? language, string code, int validForMinutes = DefaultCodeValidityMinutes)
    {
        // The exception never quotes the code: it may be logged.
        if (code is not { Length: 6 } || !code.All(char.IsAsciiDigit))
        {
            throw new ArgumentException("The sign-in code must be 6 digits.", nameof(code));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(validForMinutes);
        var minutes = validForMinutes.ToString(CultureInfo.InvariantCulture);
        return IsEnglish(language)
            ? Render(to, english: true, "Your sign-in code",
                Text("Hello,"),
                Text("Here is your code to sign in on a new device:"),
                Code(code),
                Text($"It is valid for {minutes} minutes and works only once. Do not share it with anyone."),
                Text("If this wasn't you, change your password as soon as possible."))
            : Render(to, english: false, "Votre code de connexion",
                Text("Bonjour,"),
                Text("Voici votre code pour vous connecter sur un nouvel appareil :"),
                Code(code),
                Text($"Il est valable {minutes} minutes et ne sert qu'une fois. Ne le communiquez à personne."),
                Text("Si vous n'êtes pas à l'origine de cette connexion, changez votre mot de passe dès que possible."));
    }

    public static OutgoingEmail Invitation(string to, string? language, string link) =>
        IsEnglish(language)
            ? Render(to, english: true, "Invitation to the secure messaging service",
                Text("Hello,"),
                Text("You are invited to join the secure messaging service. To set up your access, open this link:"),
                Link(link),
                Text("If you were not expecting this invitation, you can simply ignore this email."))
            : Render(to, english: false, "Invitation à la messagerie sécurisée",
                Text("Bonjour,"),
                Text("Vous êtes invité(e) à rejoindre la messagerie sécurisée. Pour créer votre accès, ouvrez ce lien :"),
                Link(link),
                Text("Si vous ne vous attendiez pas à cette invitation, ignorez simplement ce message."));

    public static OutgoingEmail PasswordReset(string to, string? language, string link) =>
        IsEnglish(language)
            ? Render(to, english: true, "Reset your password",
                Text("Hello,"),
                Text("A password reset was requested for your account. To choose a new password, open this link:"),
                Link(link),
                Text("If this wasn't you, ignore this email: your password stays unchanged."))
            : Render(to, english: false, "Réinitialisation de votre mot de passe",
                Text("Bonjour,"),
                Text("Une réinitialisation du mot de passe de votre compte a été demandée. Pour en choisir un nouveau, ouvrez ce lien :"),
                Link(link),
                Text("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé."));

    public static OutgoingEmail SuspiciousSignIn(string to, string? language) =>
        IsEnglish(language)
            ? Render(to, english: true, "Security alert for your account",
                Text("Hello,"),
                Text("Several sign-in attempts on your account have failed. As a precaution, your account is temporarily locked."),
                Text("If this was you, wait a few minutes before trying again."),
                Text("If it wasn't, change your password as soon as possible and tell your administrator."))
            : Render(to, english: false, "Alerte de sécurité sur votre compte",
                Text("Bonjour,"),
                Text("Plusieurs tentatives de connexion à votre compte ont échoué. Par précaution, votre compte est temporairement verrouillé."),
                Text("Si c'était vous, patientez quelques minutes avant de réessayer."),
                Text("Sinon, changez votre mot de passe dès que possible et prévenez votre administrateur."));

    public static OutgoingEmail MessageWaiting(string to, string? language, string link) =>
        IsEnglish(language)
            ? Render(to, english: true, "A new secure message is waiting for you",
                Text("Hello,"),
                Text("A new secure message is waiting for you. To read it, sign in by opening this link:"),
                Link(link),
                Text("To protect your privacy, the content of messages is never sent by email."))
            : Render(to, english: false, "Un nouveau message sécurisé vous attend",
                Text("Bonjour,"),
                Text("Un nouveau message sécurisé vous attend. Pour le lire, connectez-vous en ouvrant ce lien :"),
                Link(link),
                Text("Pour protéger votre confidentialité, le contenu des messages n'est jamais envoyé par e-mail."));

    /// <summary>"en", "EN", "en-GB" or "en_US" mean English; anything else, including nothing, means French.</summary>
    private static bool IsEnglish(string? language) =>
        language is not null
        && (language.Equals("en", StringComparison.OrdinalIgnoreCase)
            || language.StartsWith("en-", StringComparison.OrdinalIgnoreCase)
            || language.StartsWith("en_", StringComparison.OrdinalIgnoreCase));

    private static Block Text(string text) => new(BlockKind.Text, text);

    private static Block Code(string code) => new(BlockKind.Code, code);

    /// <summary>Only absolute http(s) links: anything else (<c>javascript:</c>, <c>data:</c>, relative) could run or mislead.</summary>
    private static Block Link(string link)
    {
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Host.Length == 0)
        {
            throw new ArgumentException("The link must be an absolute http or https URL.", nameof(link));
        }

        // The normalized form: escaped, so that no space or line break can split the link in the text body.
        return new(BlockKind.Link, uri.AbsoluteUri);
    }

    private static OutgoingEmail Render(string to, bool english, string subject, params ReadOnlySpan<Block> blocks)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(to);
        var footer = english ? "This is an automatic message; please do not reply." : "Ceci est un message automatique, merci de ne pas y répondre.";
        var text = new StringBuilder();
        var html = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html><html lang=\"{(english ? "en" : "fr")}\"><head><meta charset=\"utf-8\">")
            .Append(CultureInfo.InvariantCulture, $"<title>{Html.Encode(subject)}</title></head>")
            .Append("<body style=\"font-family: sans-serif; line-height: 1.5; color: #222;\">\n");
        foreach (var block in blocks)
        {
            text.Append(block.Value).Append("\n\n");
            var value = Html.Encode(block.Value);
            html.Append(block.Kind switch
            {
                BlockKind.Code => $"<p style=\"font-size: 1.6em; font-weight: bold; letter-spacing: 0.2em;\">{value}</p>\n",
                BlockKind.Link => $"<p><a href=\"{value}\">{value}</a></p>\n",
                _ => $"<p>{value}</p>\n",
            });
        }

        text.Append("-- \n").Append(footer).Append('\n');
        html.Append(CultureInfo.InvariantCulture, $"<p style=\"color: #666; font-size: 0.85em;\">{Html.Encode(footer)}</p>\n</body></html>\n");
        return new OutgoingEmail(to, subject, text.ToString(), html.ToString());
    }

    private enum BlockKind
    {
        Text,
        Code,
        Link,
    }

    private readonly record struct Block(BlockKind Kind, string Value);
}
