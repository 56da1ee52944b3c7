package io.github.streamingjob.testing.standin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on a loopback port in front of a server, that can cut the server off: {@link #cut()} stops
 * listening (new connections are refused) and resets every open connection; {@link #restore()} listens again
 * on the same port. To its clients this is an endpoint outage, as when S3 is unreachable, while the server
 * behind it keeps its state: a store that loses acknowledged writes is not what the tests are about.
 */
public final class NetworkOutage implements AutoCloseable {
  private final InetSocketAddress target;
  private final int port;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket listener;

  private NetworkOutage(InetSocketAddress target, int port) {
    this.target = target;
    this.port = port;
  }

  /** Relays a free loopback port to {@code targetPort} on loopback. */
  public static NetworkOutage inFrontOf(int targetPort) {
    NetworkOutage relay = new NetworkOutage(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort),
        FlinkSessionCluster.freePort());
    relay.restore();
    return relay;
  }

  public int port() {
    return port;
  }

  public boolean isCut() {
    return listener == null;
  }

  /** Refuses new connections and resets the open ones (RST, not a graceful close). */
  public synchronized void cut() {
    ServerSocket l = listener;
    listener = null;
    closeQuietly(l);
    for (Socket s : open) {
      try {
        s.setSoLinger(true, 0);
      } catch (SocketException e) {
        // already closed
      }
      closeQuietly(s);
    }
    open.clear();
  }

  /** Listens on the same port again. */
  public synchronized void restore() {
    if (listener != null) {
      return;
    }
    try {
      ServerSocket l = new ServerSocket();
      l.setReuseAddress(true);
      l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
      listener = l;
      Thread acceptor = new Thread(() -> accept(l), "outage-relay-" + port);
      acceptor.setDaemon(true);
      acceptor.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + port + " again", e);
    }
  }

  private void accept(ServerSocket l) {
    while (!l.isClosed()) {
      Socket client;
      try {
        client = l.accept();
      } catch (IOException e) {
        return; // cut
      }
      try {
        Socket server = new Socket();
        server.connect(target, 5000);
        open.add(client);
        open.add(server);
        pump(client, server);
        pump(server, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // either side gone
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }, "outage-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // nothing to do
      }
    }
  }

  @Override
  public void close() {
    cut();
  }
}
