using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Messaging.Server.Hosting;

/// <summary>
/// The client's address behind a load balancer (several nodes, docs/scaling.md) or a TLS-terminating proxy. Without
/// this, every request seems to come from the balancer, and the limits kept per client address (sign-ins, password
/// resets: <see cref="RateLimits"/>) become one bucket shared by every client, which one caller can empty for all.
/// X-Forwarded-For and X-Forwarded-Proto are believed only from the peers named in <c>Messaging:TrustedProxies</c>
/// (addresses or CIDR networks), read from the right through trusted hops only, so that a client reaching a node
/// directly cannot choose its own address. None named: the headers are ignored, loopback included (ASP.NET Core's
/// defaults would trust it).
/// </summary>
internal static class TrustedProxies
{
    public const string Section = "Messaging:TrustedProxies";

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, IReadOnlyList<string> proxies)
    {
        var trusted = Parse(proxies);
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var network in trusted)
            {
                options.KnownIPNetworks.Add(network);
            }

            // Every trusted hop from the right, not only the last one: a CDN in front of the balancer is a hop too.
            options.ForwardLimit = null;
        });
        return services;
    }

    /// <summary>First in the pipeline, so that what follows (the rate limits) sees the client's address.</summary>
    public static WebApplication UseTrustedProxies(this WebApplication app, IReadOnlyList<string> proxies)
    {
        if (proxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <exception cref="InvalidOperationException">An entry is neither an IP address nor a CIDR network.</exception>
    internal static IReadOnlyList<IPNetwork> Parse(IReadOnlyList<string> proxies)
    {
        var networks = new List<IPNetwork>(proxies.Count);
        for (var i = 0; i < proxies.Count; i++)
        {
            var entry = proxies[i].Trim();
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 && IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (slash > 0 && IPNetwork.TryParse(entry, out var network)
                && IPAddress.TryParse(entry[..slash], out var first) && first.Equals(network.BaseAddress))
            {
                // 10.0.0.1/8 is refused, not read as 10.0.0.0/8: it names one host or a network, and trusting the wrong
                // one of the two lets strangers choose their address.
                networks.Add(network);
            }
            else
            {
                throw new InvalidOperationException(
                    $"{Section}:{i} must be an IP address (10.0.0.5) or a CIDR network (10.0.0.0/8), not '{entry}'.");
            }
        }

        return networks;
    }
}
