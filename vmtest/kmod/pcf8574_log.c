// SPDX-License-Identifier: GPL-2.0
/*
 * pcf8574_log: a test-only I2C adapter with one PCF8574 I/O expander on it.
 *
 * The VM test needs the bytes an HD44780 backpack receives, sent the way
 * the kiosk sends them on a board (plain I2C writes through /dev/i2c-N,
 * which i2c-stub refuses). Every byte written to the expander's address is
 * appended to /sys/kernel/debug/pcf8574_log/bytes; a read returns the last
 * byte written, as the real chip returns its pin state.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/i2c.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/vmalloc.h>

static int bus = 1;
module_param(bus, int, 0444);
MODULE_PARM_DESC(bus, "adapter number: /dev/i2c-BUS");
static unsigned short addr = 0x27;
module_param(addr, ushort, 0444);
MODULE_PARM_DESC(addr, "7-bit address of the PCF8574");

#define LOG_SIZE (4 << 20)

static DEFINE_MUTEX(log_lock);
static u8 *log_buf;
static size_t log_len;
static u8 pins = 0xff;
static struct dentry *dir;

static int pcf_xfer(struct i2c_adapter *adap, struct i2c_msg *msgs, int num)
{
	int i;
	u16 j;

	for (i = 0; i < num; i++) {
		if (msgs[i].addr != addr)
			return -ENXIO; /* no ACK: nothing at that address */
	}
	mutex_lock(&log_lock);
	for (i = 0; i < num; i++) {
		struct i2c_msg *m = &msgs[i];

		for (j = 0; j < m->len; j++) {
			if (m->flags & I2C_M_RD) {
				m->buf[j] = pins;
				continue;
			}
			pins = m->buf[j];
			if (log_len < LOG_SIZE)
				log_buf[log_len++] = pins;
		}
	}
	mutex_unlock(&log_lock);
	return num;
}

static u32 pcf_func(struct i2c_adapter *adap)
{
	return I2C_FUNC_I2C | I2C_FUNC_SMBUS_EMUL;
}

static const struct i2c_algorithm pcf_algo = {
	.master_xfer = pcf_xfer,
	.functionality = pcf_func,
};

static struct i2c_adapter pcf_adapter = {
	.owner = THIS_MODULE,
	.class = I2C_CLASS_HWMON,
	.algo = &pcf_algo,
	.name = "pcf8574 log adapter",
};

static ssize_t bytes_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	ssize_t n;

	mutex_lock(&log_lock);
	n = simple_read_from_buffer(ubuf, count, ppos, log_buf, log_len);
	mutex_unlock(&log_lock);
	return n;
}

static const struct file_operations bytes_fops = {
	.owner = THIS_MODULE,
	.read = bytes_read,
	.llseek = default_llseek,
};

static int __init pcf_init(void)
{
	int err;

	log_buf = vmalloc(LOG_SIZE);
	if (!log_buf)
		return -ENOMEM;
	pcf_adapter.nr = bus;
	err = i2c_add_numbered_adapter(&pcf_adapter);
	if (err) {
		vfree(log_buf);
		return err;
	}
	dir = debugfs_create_dir("pcf8574_log", NULL);
	debugfs_create_file("bytes", 0444, dir, NULL, &bytes_fops);
	return 0;
}

static void __exit pcf_exit(void)
{
	debugfs_remove_recursive(dir);
	i2c_del_adapter(&pcf_adapter);
	vfree(log_buf);
}

module_init(pcf_init);
module_exit(pcf_exit);
MODULE_DESCRIPTION("Test-only I2C adapter logging writes to a PCF8574");
MODULE_LICENSE("GPL");
