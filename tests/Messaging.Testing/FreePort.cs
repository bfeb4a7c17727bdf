using System.Net;
using System.Net.Sockets;

namespace Messaging.Testing;

public static class FreePort
{
    /// <summary>A loopback port free right now, so a restarted server can come back on the same address.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
